import type { Parameter, ParameterValue } from '@hypotree/task';
import { claimsOf, inClaimRegion, type ClaimedInsight } from './claims.js';
import type { Observation } from './observations.js';
import { decode, encode, formatValue, isNumeric, type ParamConfig } from '../space.js';

/** One parameter change a proposal makes, with the reasons it was chosen. */
export interface Step {
  param: string;
  from: ParameterValue;
  to: ParameterValue;
  /** +1 raise, −1 lower; absent for choices and booleans. */
  direction?: 1 | -1;
  reasons: string[];
}

/** A scored single-parameter move under one parent. */
export interface Candidate {
  step: Step;
  score: number;
  insights: string[];
}

/** What the offline proposer knows about the parent when it scores moves. */
export interface MoveContext {
  space: readonly Parameter[];
  parentId: string;
  config: ParamConfig;
  /** Step length in the normalised [0, 1] range for a parameter with no history on this lineage. */
  stepSize: number;
  /** Smallest step, so a change stays larger than the evaluator's noise. */
  minStep: number;
  /** The most recent admitted move of each numeric parameter along the lineage (its normalised size included). */
  momentum: Map<string, { direction: 1 | -1; size: number; nodeId: string; label: string }>;
  /** Choice and bool values an admitted change along the lineage moved away from. */
  leftBehind: Map<string, { value: ParameterValue; nodeId: string }[]>;
  /** How often each parameter was moved anywhere in the tree, and how often that was admitted. */
  history: Map<string, { tries: number; helped: number }>;
  siblings: Observation[];
  /** Parameters some child of the parent already changed (pending children included). */
  changedHere: Set<string>;
  constraints: ClaimedInsight[];
  findings: ClaimedInsight[];
  /** Correlations (lessons whose evidence moved other parameters too): a light preference, never a limit. */
  hints: ClaimedInsight[];
  /**
   * Moves near this configuration that changed nothing measurable: one-factor changes made from the
   * parent or its ancestors whose dev difference was within noise, per parameter (numeric ranges in
   * the normalised [0, 1] scale; choices as the values switched between). A step inside one is refused.
   */
  plateaus: Map<string, Plateau[]>;
  random: () => number;
  /** Whether a value of one parameter is acceptable (legal, allowed by constraints, config untried). */
  admissible: (param: string, value: ParameterValue) => boolean;
}

/** A move that changed nothing measurable: between `lo` and `hi` (normalised) for numbers, or between two choice values. */
export type Plateau = { nodeId: string; lo: number; hi: number } | { nodeId: string; values: [ParameterValue, ParameterValue] };

/** Builds the claim lists of a move context from a request's insights. */
export function splitClaims(insights: Parameters<typeof claimsOf>[0]) {
  const { hurts, helps, hints } = claimsOf(insights);
  return { constraints: hurts, findings: helps, hints };
}

/** The no-effect move a step would repeat, if any: both ends inside a known flat range, or the same switch of values. */
export function repeatsNoEffect(ctx: Pick<MoveContext, 'space' | 'plateaus'>, step: Pick<Step, 'param' | 'from' | 'to'>): Plateau | undefined {
  const p = ctx.space.find((q) => q.name === step.param);
  if (!p) return undefined;
  const slack = 0.01;
  return ctx.plateaus.get(step.param)?.find((flat) => {
    if ('values' in flat) return flat.values.includes(step.from) && flat.values.includes(step.to);
    if (!isNumeric(p)) return false;
    const [a, b] = [encode(p, Number(step.from)), encode(p, Number(step.to))];
    return Math.min(a, b) >= flat.lo - slack && Math.max(a, b) <= flat.hi + slack;
  });
}

/** Whether a constraint insight forbids this value of this parameter. */
export function forbiddenBy(constraints: readonly ClaimedInsight[], param: string, value: ParameterValue): ClaimedInsight | undefined {
  return constraints.find((i) => i.claim.param === param && inClaimRegion(i.claim, value));
}

/** Every admissible single-parameter move from the parent's configuration, scored (higher is more promising). */
export function candidateMoves(ctx: MoveContext): Candidate[] {
  const found: Candidate[] = [];
  for (const p of ctx.space) {
    const current = ctx.config[p.name];
    if (current === undefined) continue;
    if (isNumeric(p) && typeof current === 'number') {
      for (const direction of [1, -1] as const) {
        const to = numericTarget(ctx, p, current, direction);
        if (to !== undefined) found.push(score(ctx, { param: p.name, from: current, to, direction, reasons: [] }));
      }
    } else {
      const values: ParameterValue[] = p.type === 'choice' ? p.choices : p.type === 'bool' ? [true, false] : [];
      for (const to of values) {
        if (to !== current && ctx.admissible(p.name, to) && !repeatsNoEffect(ctx, { param: p.name, from: current, to })) found.push(score(ctx, { param: p.name, from: current, to, reasons: [] }));
      }
    }
  }
  return found.sort((a, b) => b.score - a.score);
}

// The first admissible value along a direction: a jittered step (longer when the lineage already
// moved this way), then shorter and longer ones when that value was tried or is forbidden.
function numericTarget(ctx: MoveContext, p: Extract<Parameter, { type: 'float' | 'int' }>, current: number, direction: 1 | -1): number | undefined {
  const base = Math.max(stepLength(ctx, p, direction) * (0.7 + 0.6 * ctx.random()), pastFlat(ctx, p, direction));
  for (const factor of [1, 0.5, 2, 0.25, 3, 4]) {
    let to = decode(p, encode(p, current) + direction * base * factor);
    if (to === current && p.type === 'int') to = Math.min(p.max, Math.max(p.min, current + direction));
    if (to !== current && ctx.admissible(p.name, to) && !repeatsNoEffect(ctx, { param: p.name, from: current, to })) return to;
  }
  return undefined;
}

// A step that adapts like an evolution strategy's: longer after an admitted move the same way,
// shorter when turning back or when siblings already overshot in this direction.
function stepLength(ctx: MoveContext, p: Extract<Parameter, { type: 'float' | 'int' }>, direction: 1 | -1): number {
  const last = ctx.momentum.get(p.name);
  let step = !last ? ctx.stepSize : last.direction === direction ? Math.min(0.5, 1.5 * last.size) : 0.5 * last.size;
  for (const o of ctx.siblings) {
    const move = o.moves.find((m) => m.param === p.name && m.direction === direction);
    if (move && o.outcome !== 'helped' && !o.noEffect) step = Math.min(step, 0.5 * Math.abs(encode(p, Number(move.to)) - encode(p, Number(move.from))));
  }
  return Math.max(ctx.minStep, step);
}

// Inside a range where moves changed nothing, a step must reach past its edge (by at least the
// smallest step) to teach anything: the shortest such step, or 0 outside every flat range.
function pastFlat(ctx: MoveContext, p: Extract<Parameter, { type: 'float' | 'int' }>, direction: 1 | -1): number {
  const u = encode(p, Number(ctx.config[p.name]));
  let step = 0;
  for (const flat of ctx.plateaus.get(p.name) ?? []) {
    if (!('lo' in flat) || u < flat.lo - 0.01 || u > flat.hi + 0.01) continue;
    step = Math.max(step, (direction === 1 ? flat.hi - u : u - flat.lo) + ctx.minStep);
  }
  return step;
}

// A bandit over parameters: rarely moved parameters get an exploration bonus, often admitted ones a bonus for past success.
function parameterPromise(ctx: MoveContext, param: string): number {
  const all = [...ctx.history.values()].reduce((sum, h) => sum + h.tries, 0);
  const mine = ctx.history.get(param) ?? { tries: 0, helped: 0 };
  return 0.8 * Math.sqrt(Math.log(all + 2) / (mine.tries + 1)) + (mine.helped + 0.5) / (mine.tries + 1);
}

function score(ctx: MoveContext, step: Step): Candidate {
  let total = 0.8 * ctx.random() + parameterPromise(ctx, step.param);
  const insights: string[] = [];
  const verb = describeMove(step);
  if (!ctx.changedHere.has(step.param)) {
    total += 1;
    step.reasons.push(`${step.param} has not been varied under node ${ctx.parentId} yet, so this probes its effect`);
  }
  const momentum = ctx.momentum.get(step.param);
  if (momentum && step.direction !== undefined) {
    if (momentum.direction === step.direction) {
      total += 1.5;
      step.reasons.push(`node ${momentum.nodeId} moved ${step.param} the same way and was admitted (${momentum.label}), so the trend may continue`);
    } else {
      total -= 0.5;
    }
  }
  const abandoned = ctx.leftBehind.get(step.param)?.find((l) => l.value === step.to);
  if (abandoned && step.direction === undefined) total -= 1.5;
  for (const o of ctx.siblings) {
    const move = o.moves.find((m) => m.param === step.param);
    if (!move) continue;
    const same = step.direction !== undefined ? move.direction === step.direction : move.to === step.to;
    if (same && o.outcome !== 'helped') {
      total -= o.outcome === 'hurt' ? 2 : 1;
    } else if (same) {
      total -= 0.5;
    } else if (step.direction !== undefined && o.outcome === 'hurt') {
      total += 0.75;
      step.reasons.push(`sibling ${o.nodeId} moved ${step.param} the other way and it hurt (${o.label}), so this side is more promising`);
    }
  }
  for (const finding of ctx.findings.filter((i) => i.claim.param === step.param)) {
    const gains = inClaimRegion(finding.claim, step.to) && !inClaimRegion(finding.claim, step.from);
    const loses = !inClaimRegion(finding.claim, step.to) && inClaimRegion(finding.claim, step.from);
    if (gains) {
      total += 1.5;
      insights.push(finding.id);
      step.reasons.push(`builds on insight ${finding.id}: ${finding.text}`);
    } else if (loses) {
      total -= 1.5;
      insights.push(finding.id);
    }
  }
  for (const hint of ctx.hints.filter((i) => i.claim.param === step.param)) {
    const enters = inClaimRegion(hint.claim, step.to) && !inClaimRegion(hint.claim, step.from);
    if (!enters) continue;
    total += hint.claim.outcome === 'helps' ? 0.3 : -0.3;
    insights.push(hint.id);
  }
  if (step.reasons.length === 0) step.reasons.push(`${verb} explores a direction not yet tried from node ${ctx.parentId}`);
  return { step, score: total, insights };
}

/** "raise lr 0.01 → 0.03", "switch activation tanh → relu", "turn on dropout". */
export function describeMove(step: Step): string {
  if (typeof step.to === 'boolean') return `turn ${step.to ? 'on' : 'off'} ${step.param}`;
  const verb = step.direction === 1 ? 'raise' : step.direction === -1 ? 'lower' : 'switch';
  return `${verb} ${step.param} ${formatValue(step.from)} → ${formatValue(step.to)}`;
}
