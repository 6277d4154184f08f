import { ROOT_NODE_ID } from '@hypotree/events';
import { hashString, seededRandom } from '@hypotree/policy';
import { outOfSpace, type Parameter, type ParameterValue } from '@hypotree/task';
import { lineage, type SearchTree } from '@hypotree/tree';
import type { ClaimedInsight } from './claims.js';
import { DESIGN_SIZE, spaceFillingSamples } from './explore.js';
import { candidateMoves, describeMove, forbiddenBy, splitClaims, type Candidate, type MoveContext, type Plateau, type Step } from './moves.js';
import { observationsUnder, observe } from './observations.js';
import { evaluatedConfigs, favouredConfigs } from './parzen.js';
import { nodeSurrogate, type NodeSurrogate } from './surrogate.js';
import { changedParams, configKey, declaredSpace, decode, effectiveParams, encode, formatValue, isNumeric, triedConfigs, type ParamConfig } from '../space.js';
import type { Proposal, ProposalRequest, Proposer } from '../types.js';

/** Tuning of the offline proposer's local search. */
export interface OfflineProposerOptions {
  /** Overrides the search seed read from the tree. */
  seed?: number;
  /** First step of a parameter, as a fraction of its (log) range; later steps adapt to what the lineage admitted. */
  initialStep?: number;
  /** Smallest step, so a change stays larger than the evaluator's noise. */
  minStep?: number;
  /** Chance that a proposal moves two parameters instead of one. */
  pairChance?: number;
  /** false: no surrogate, the heuristic local search alone (the ablation of bench/ao.mjs `no-surrogate`). */
  surrogate?: boolean;
  /**
   * Set the surrogate aside under a node after this many clear gate refusals in a row among its
   * children (see `refusedInARow`), until one is admitted; 0: never. Default 3. Measured in
   * bench/ao.mjs (`bench/ao-findings.md`): `no-set-aside` is 0.
   */
  setAsideAfter?: number;
  /**
   * A refusal whose gate gain reached this share of its threshold (a near miss: the gate saw most
   * of what dev saw) breaks the run of refusals as an admission does, so only refusals where dev's
   * gain did not carry over to the gate count. Default 0.5; Infinity: every refusal counts
   * (bench/ao.mjs `set-aside`).
   */
  nearMiss?: number;
  /**
   * Under a node with this many children in a row that dev favoured and the dev screen or the gate
   * refused (see `refusedOnNumbers`), the surrogate counts every refusal below its parent, by the
   * margin it missed by (see `verdictScore`), instead of at its dev score. 0: always; Infinity:
   * never (bench/ao.mjs `no-verdicts`). Default 6.
   */
  verdictsAfter?: number;
  /**
   * More space-filling designs the root runs while none of its children was admitted: once a whole
   * design was decided and nothing admitted, the root's children continue the design until there
   * are `redesigns` + 1 designs' worth of them, before the root is searched locally (see
   * `rootDesigns`). Default 1; 0: local search from the root right after its first design
   * (bench/ao.mjs `one-design`).
   */
  redesigns?: number;
}

/**
 * Proposes parameter changes without a language model. From the root it opens new directions with
 * a stratified sample of the whole declared space (a local step from a poor default shows no
 * signal); when a whole design of them admitted nothing, one more design follows (`redesigns`, see
 * `rootDesigns`) before the root is searched like any node. Under a node each batch mixes local
 * steps around its configuration (following admitted trends along the lineage, avoiding what
 * siblings showed to hurt, never repeating a move that changed nothing) with proposals where a
 * Parzen model of every evaluation so far, conditioned on the node, puts better configurations.
 * Under a node whose last three dev-cleared children the gate clearly refused (see
 * `refusedInARow`), the model is set aside for the heuristic local search until a child is
 * admitted: dev there favours what the gate does not confirm. Under a node where six children in a
 * row that dev favoured were refused on their numbers (`verdictsAfter`, see `refusedOnNumbers`), the
 * model counts every refusal below its parent rather than at its dev score, so it stops drawing
 * where dev looks better and nothing clears the bars. It honours constraint insights, builds on
 * findings, never repeats a configuration of the tree, and relaxes the weakest constraint, saying
 * so, rather than run dry. Deterministic for (search seed, parent, number of the parent's children).
 */
export class OfflineProposer implements Proposer {
  readonly kind = 'offline';

  constructor(private readonly options: OfflineProposerOptions = {}) {}

  async propose(request: ProposalRequest): Promise<Proposal[]> {
    const { tree, task, parentId } = request;
    const space = declaredSpace(task, 'offline proposer');
    if (!tree.nodes.has(parentId)) throw new Error(`offline proposer: parent node ${parentId} is not in search ${tree.searchId}`);
    const claims = splitClaims(request.insights);
    const config = { ...effectiveParams(tree, parentId, space), ...request.parentParams };
    // No self-inflicted dead end: when the constraints leave nothing new, the weakest are relaxed
    // one at a time (and the proposals say so) before the proposer reports it has nothing.
    const relaxed: ClaimedInsight[] = [];
    let constraints = claims.constraints;
    // Fitted once per request: lessons filter its candidates, they do not change the model.
    const { verdictsAfter = 6, redesigns = 1 } = this.options;
    const verdicts = verdictsAfter !== Infinity && refusedOnNumbers(tree, parentId).length >= verdictsAfter;
    const fitted = this.options.surrogate === false ? undefined : nodeSurrogate(tree, parentId, space, { verdicts });
    const designPhase = parentId === ROOT_NODE_ID && rootDesigns(tree, fitted !== undefined, redesigns);
    // Set aside while the gate keeps refusing what dev favours here (see `refusedInARow`).
    const { setAsideAfter = 3, nearMiss = 0.5 } = this.options;
    const refused = fitted && setAsideAfter > 0 ? refusedInARow(tree, parentId, nearMiss) : [];
    const surrogate = setAsideAfter > 0 && refused.length >= setAsideAfter ? undefined : fitted;
    const setAside = surrogate === fitted ? '' : ` The surrogate is set aside under node ${parentId}: the gate refused its last ${refused.length} dev-cleared children (${refused.join(', ')}) since one was admitted or nearly cleared it, so this is the heuristic local search until one is admitted.`;
    for (;;) {
      const proposals = designPhase
        ? this.explore(request, space, config, constraints, claims.findings)
        : this.local(request, space, config, { ...claims, constraints }, surrogate).map((p) => (setAside ? { ...p, mechanism: p.mechanism + setAside } : p));
      if (proposals.length > 0 || constraints.length === 0) return proposals.map((p) => withRelaxed(p, relaxed));
      const weakest = weakestOf(constraints);
      relaxed.push(weakest);
      constraints = constraints.filter((c) => c !== weakest);
    }
  }

  // Local search around a node's configuration.
  private local(request: ProposalRequest, space: readonly Parameter[], config: ParamConfig, claims: ReturnType<typeof splitClaims>, surrogate: NodeSurrogate | undefined): Proposal[] {
    const { tree, parentId, count } = request;
    const parent = tree.nodes.get(parentId)!;
    const random = seededRandom(this.options.seed ?? tree.started?.seed ?? 0, hashString(parentId), parent.children.length);
    const { constraints, findings, hints } = claims;
    const repair = repairs(space, config, constraints);
    const base = { ...config, ...Object.fromEntries(repair.map((s) => [s.step.param, s.step.to])) };
    const tried = triedConfigs(tree, space);
    const taken = new Set<string>();
    const keyWith = (set: Record<string, ParameterValue>) => configKey({ ...base, ...set }, space);
    const fresh = (set: Record<string, ParameterValue>) => !tried.has(keyWith(set)) && !taken.has(keyWith(set));
    const legal = (param: string, value: ParameterValue) => {
      const p = space.find((q) => q.name === param);
      return p !== undefined && outOfSpace(p, value) === undefined && !forbiddenBy(constraints, param, value);
    };
    const ctx: MoveContext = {
      space,
      parentId,
      config: base,
      stepSize: this.options.initialStep ?? 0.25,
      minStep: this.options.minStep ?? 0.04,
      momentum: momentum(tree, parentId, space),
      leftBehind: leftBehind(tree, parentId, space),
      history: history(tree, space),
      siblings: parent.children.map((id) => observe(tree, tree.nodes.get(id)!, space)).filter((o) => o !== undefined),
      changedHere: changedUnder(tree, parentId),
      constraints,
      findings,
      hints,
      plateaus: plateaus(tree, parentId, space),
      random,
      admissible: (param, value) => legal(param, value) && fresh({ [param]: value }),
    };
    // A batch short of its count also proposes the repair alone (the parent made to obey the constraints), once.
    const repairAlone = (picked: Candidate[][]) => {
      if (picked.length >= count || repair.length === 0 || !fresh({})) return;
      taken.add(keyWith({}));
      picked.push([]);
    };
    const pool = candidateMoves(ctx);
    if (surrogate) {
      const picked = guidedBatch(space, base, pool, surrogate, { count, random, parentId, accept: (set) => Object.entries(set).every(([k, v]) => legal(k, v)) && fresh(set) });
      picked.forEach((group) => taken.add(keyWith(setOf(group))));
      repairAlone(picked);
      return picked.map((group) => this.toProposal(request, [...repair, ...group]));
    }
    const picked: Candidate[][] = [];
    const used = new Set<string>();
    const moveKey = (c: Candidate) => `${c.step.param}:${c.step.direction ?? String(c.step.to)}`;
    // A parent whose children keep failing to improve it sits on a plateau or in a narrow basin:
    // part of the batch then leaps on several parameters at once instead of stepping locally.
    const stalled = ctx.siblings.length >= 2 && ctx.siblings.slice(-3).every((o) => o.outcome !== 'helped');
    // Once the tree holds enough evaluations, one hypothesis of each batch (and every leap) goes where
    // a model of all of them says good configurations lie; the others are local steps that teach.
    const modelled = favouredConfigs(space, evaluatedConfigs(tree, space), {
      count,
      random,
      accept: (c) => Object.entries(c).every(([k, v]) => legal(k, v)) && fresh(changedParams(space, c, base)),
    });
    const leaps = stalled ? Math.max(1, Math.floor(count / 2)) : modelled.length > 0 && count >= 2 ? 1 : 0;
    const local = count - leaps;
    for (const first of pool) {
      if (picked.length >= local) break;
      if (used.has(moveKey(first)) || !fresh(setOf([first]))) continue;
      const second = random() < (this.options.pairChance ?? 0.25) ? pool.find((c) => c.step.param !== first.step.param && !used.has(moveKey(c)) && fresh(setOf([first, c]))) : undefined;
      const group = second ? [first, second] : [first];
      group.forEach((c) => used.add(moveKey(c)));
      taken.add(keyWith(setOf(group)));
      picked.push(group);
    }
    repairAlone(picked);
    for (const favoured of modelled) {
      if (picked.length >= count) break;
      const set = changedParams(space, favoured.config, base);
      if (!fresh(set)) continue;
      const why = `a Parzen model of the ${favoured.good + favoured.bad} configurations evaluated so far (the best ${favoured.good} against the rest) rates this configuration highest among its draws (log density ratio ${formatValue(favoured.logRatio)})${stalled ? `, and the last children of node ${parentId} did not improve it` : ''}`;
      taken.add(keyWith(set));
      picked.push(stepsTo(space, base, set, why));
    }
    while (picked.length < count) {
      const why = stalled
        ? `the last children of node ${parentId} did not improve it (${ctx.siblings.slice(-3).map((o) => `${o.nodeId}: ${o.label}`).join(', ')}), so this leaps on several parameters at once`
        : `every single-parameter step from node ${parentId} was tried, so this jumps further on several parameters`;
      const leap = randomLeap(space, base, stalled ? 0.6 : ctx.stepSize * 2, random, why, (set) => Object.entries(set).every(([k, v]) => legal(k, v)) && fresh(set));
      if (!leap) break;
      taken.add(keyWith(setOf(leap)));
      picked.push(leap);
    }
    return picked.map((group) => this.toProposal(request, [...repair, ...group]));
  }

  // New directions from the root: whole configurations spread over the space, as changes from the defaults.
  private explore(request: ProposalRequest, space: readonly Parameter[], base: ParamConfig, constraints: readonly ClaimedInsight[], findings: readonly ClaimedInsight[]): Proposal[] {
    const { tree, count } = request;
    const root = tree.nodes.get(ROOT_NODE_ID)!;
    const seed = this.options.seed ?? tree.started?.seed ?? 0;
    const samples = spaceFillingSamples(space, { seed, firstIndex: root.children.length, count, tried: triedConfigs(tree, space), constraints, findings });
    const { metric, direction } = request.task.spec.objective;
    const honoured = constraints.map((c) => c.id);
    const again = designFailed(tree) ? `; the root's ${root.children.length} children so far admitted nothing, so the design goes on before the root is searched locally` : '';
    return samples.map(({ config, stratum, findingsUsed }) => {
      const set = changedParams(space, config, base);
      return {
        title: `explore a new direction (design point ${stratum + 1}/${DESIGN_SIZE})`,
        mechanism: `a new direction from the root: point ${stratum + 1} of a space-filling (Latin-hypercube) design over all ${space.length} declared parameters, so the search covers regions a local step from the defaults cannot reach${again}${findingsUsed.length ? `; it stays in the regions findings say help (${findingsUsed.join(', ')})` : ''}${honoured.length ? `; it avoids the regions constraint insights rule out (${honoured.join(', ')})` : ''}`,
        prediction: `dev ${metric} ${direction === 'maximize' ? 'rises above' : 'falls below'} node 0's ${root.result ? formatValue(root.result.mean) : '(not yet measured)'} (the baseline) if this region is a good one`,
        change: { kind: 'params' as const, set },
        proposer: { kind: this.kind },
        insightsConsidered: [...honoured, ...findingsUsed],
      };
    });
  }

  private toProposal(request: ProposalRequest, group: Candidate[]): Proposal {
    const { tree, parentId } = request;
    const parent = tree.nodes.get(parentId)!;
    const metric = tree.objective?.metric ?? request.task.spec.objective.metric;
    const direction = tree.objective?.direction ?? request.task.spec.objective.direction;
    const score = parent.result ? `node ${parentId}'s ${formatValue(parent.result.mean)}` : `node ${parentId}'s (not yet measured)`;
    // A reason shared by several moves (a surrogate draw that moved every parameter) is said once, after the moves it covers.
    const movesByReason = new Map<string, string[]>();
    for (const c of group) for (const r of c.step.reasons) movesByReason.set(r, [...(movesByReason.get(r) ?? []), describeMove(c.step)]);
    const reasons = [...movesByReason].map(([reason, moves]) => `${moves.join(', ')}: ${reason}`);
    return {
      title: group.map((c) => describeMove(c.step)).join(', '),
      mechanism: reasons.join('. ') + '.',
      prediction: `dev ${metric} ${direction === 'maximize' ? 'rises above' : 'falls below'} ${score} by more than the run-to-run noise`,
      change: { kind: 'params', set: setOf(group) },
      proposer: { kind: this.kind },
      insightsConsidered: [...new Set(group.flatMap((c) => c.insights))],
    };
  }
}

/**
 * The node's children the gate refused (`gate-disagrees`) since its last admitted child, in order.
 * When dev keeps favouring what the gate does not confirm (dev overfitting: a region dev's few
 * items like), a surrogate fitted to dev scores keeps drawing there; after `setAsideAfter` refusals
 * in a row the node's next batches come from the heuristic local search instead, until a child is
 * admitted. A refusal whose gate gain reached `nearMiss` of its threshold breaks the run too: the
 * surrogate's pick was a real gain the gate could not yet prove (penguins), not a region dev alone
 * likes (routing). With `nearMiss` Infinity every refusal counts.
 */
export function refusedInARow(tree: SearchTree, parentId: string, nearMiss = Infinity): string[] {
  let run: string[] = [];
  for (const id of tree.nodes.get(parentId)?.children ?? []) {
    const child = tree.nodes.get(id)!;
    if (child.decision?.admitted || (child.decision?.rule === 'gate-disagrees' && sawOnGate(child.decision.deltas) >= nearMiss)) run = [];
    else if (child.decision?.rule === 'gate-disagrees') run.push(id);
  }
  return run;
}

/**
 * The node's children that dev favoured (a gain over their parent) and that were refused on their
 * numbers, by the dev screen (`dev-below-threshold`) or the gate (`gate-disagrees`, near misses
 * included), since its last admitted child, in order; the root's design points do not count (they
 * open directions, they do not test a step from it), nor do worse configurations (the surrogate
 * scores them low already). A long run means the surrogate keeps drawing where dev looks better
 * than the node and nothing clears its bars: from `verdictsAfter` on, it counts every refusal below
 * its parent (see `verdictScore`).
 */
export function refusedOnNumbers(tree: SearchTree, parentId: string): string[] {
  let run: string[] = [];
  const children = tree.nodes.get(parentId)?.children ?? [];
  for (const id of parentId === ROOT_NODE_ID ? children.slice(DESIGN_SIZE) : children) {
    const decision = tree.nodes.get(id)!.decision;
    if (decision?.admitted) run = [];
    else if ((decision?.rule === 'dev-below-threshold' || decision?.rule === 'gate-disagrees') && (decision.deltas.dev ?? 0) > 0) run.push(id);
  }
  return run;
}

/** The share of its threshold a refused candidate's gate gain reached (0 when the decision does not say). */
function sawOnGate(deltas: Record<string, number>): number {
  const threshold = deltas.gateThreshold ?? deltas.gateMargin;
  return deltas.gate === undefined || threshold === undefined || threshold <= 0 ? 0 : deltas.gate / threshold;
}

/**
 * Whether the root's next children are design points. The first design runs until the surrogate
 * can be fitted (past it the surrogate leads the root's expansions too), or, without one, until it
 * was decided with nothing admitted. A design that admitted nothing leaves the surrogate with no
 * configuration better than the defaults to learn from: its good set is then the least bad of the
 * design, and draws around those missed for whole budgets (movies at budget 24: 4 of 10 searches
 * admitted nothing, 16 draws after the design all worse than the root on dev). So while no child of
 * the root is admitted, the design goes on until the root has `redesigns` + 1 designs' worth of
 * children, as a random search would keep sampling; then the root is searched locally.
 */
function rootDesigns(tree: SearchTree, fitted: boolean, redesigns: number): boolean {
  const children = tree.nodes.get(ROOT_NODE_ID)!.children.length;
  return designFailed(tree) ? children < DESIGN_SIZE * (1 + redesigns) : !(fitted && children >= DESIGN_SIZE);
}

// Whether a whole design of directions from the root was decided and none was admitted.
function designFailed(tree: SearchTree): boolean {
  const decided = tree.nodes.get(ROOT_NODE_ID)!.children.map((id) => tree.nodes.get(id)!).filter((n) => n.decision || n.failure);
  return decided.length >= DESIGN_SIZE && decided.every((n) => !n.decision?.admitted);
}

function setOf(group: readonly Candidate[]): Record<string, ParameterValue> {
  return Object.fromEntries(group.map((c) => [c.step.param, c.step.to]));
}

// Moves that take the parent's configuration out of a region a constraint forbids, so that no
// proposal keeps a forbidden value just because the parent had it.
function repairs(space: readonly Parameter[], config: ParamConfig, constraints: readonly ClaimedInsight[]): Candidate[] {
  const found: Candidate[] = [];
  for (const p of space) {
    const current = config[p.name];
    if (current === undefined) continue;
    const rule = forbiddenBy(constraints, p.name, current);
    if (!rule) continue;
    const options: ParameterValue[] = isNumeric(p)
      ? [rule.claim.value, decode(p, encode(p, Number(rule.claim.value)) + (rule.claim.relation === 'above' ? -0.02 : 0.02))].map((v) =>
          p.type === 'int' && typeof v === 'number' ? (rule.claim.relation === 'above' ? Math.floor(v) : Math.ceil(v)) : v,
        )
      : p.type === 'choice' ? p.choices : [true, false];
    const to = options.find((v) => v !== current && outOfSpace(p, v) === undefined && !forbiddenBy(constraints, p.name, v));
    if (to === undefined) continue;
    const direction = typeof to === 'number' && typeof current === 'number' ? (to > current ? 1 : -1) : undefined;
    const reasons = [`insight ${rule.id} rules out ${p.name} ${rule.claim.relation} ${formatValue(rule.claim.value)} (${rule.text})`];
    const step: Step = direction === undefined ? { param: p.name, from: current, to, reasons } : { param: p.name, from: current, to, direction, reasons };
    found.push({ step, score: Infinity, insights: [rule.id] });
  }
  return found;
}

// The latest admitted direction of each numeric parameter along the lineage (nearest node first).
function momentum(tree: SearchTree, parentId: string, space: readonly Parameter[]): MoveContext['momentum'] {
  const trend: MoveContext['momentum'] = new Map();
  for (const n of lineage(tree, parentId).reverse()) {
    const o = observe(tree, n, space);
    if (o?.outcome !== 'helped' || !isLocal(o)) continue;
    for (const m of o.moves) {
      const p = space.find((q) => q.name === m.param);
      if (m.direction === undefined || trend.has(m.param) || !p || !isNumeric(p)) continue;
      const size = Math.abs(encode(p, Number(m.to)) - encode(p, Number(m.from)));
      trend.set(m.param, { direction: m.direction, size, nodeId: n.id, label: o.label });
    }
  }
  return trend;
}

function leftBehind(tree: SearchTree, parentId: string, space: readonly Parameter[]): MoveContext['leftBehind'] {
  const left: MoveContext['leftBehind'] = new Map();
  for (const n of lineage(tree, parentId)) {
    const o = observe(tree, n, space);
    if (o?.outcome !== 'helped' || !isLocal(o)) continue;
    for (const m of o.moves) if (m.direction === undefined) left.set(m.param, [...(left.get(m.param) ?? []), { value: m.from, nodeId: n.id }]);
  }
  return left;
}

function history(tree: SearchTree, space: readonly Parameter[]): MoveContext['history'] {
  const counts: MoveContext['history'] = new Map();
  for (const o of observationsUnder(tree, ROOT_NODE_ID, space).filter(isLocal)) {
    for (const m of o.moves) {
      const h = counts.get(m.param) ?? { tries: 0, helped: 0 };
      counts.set(m.param, { tries: h.tries + 1, helped: h.helped + (o.outcome === 'helped' ? 1 : 0) });
    }
  }
  return counts;
}

function changedUnder(tree: SearchTree, parentId: string): Set<string> {
  const params = new Set<string>();
  for (const id of tree.nodes.get(parentId)?.children ?? []) {
    const change = tree.nodes.get(id)?.hypothesis?.change;
    if (change?.kind === 'params') Object.keys(change.set).forEach((k) => params.add(k));
  }
  return params;
}

// A longer jump on two to four parameters at once: off a plateau, or when every single move was tried.
function randomLeap(
  space: readonly Parameter[],
  config: ParamConfig,
  stepSize: number,
  random: () => number,
  why: string,
  accept: (set: Record<string, ParameterValue>) => boolean,
): Candidate[] | undefined {
  for (let attempt = 0; attempt < 60; attempt++) {
    const group: Candidate[] = [];
    const chosen = [...space].sort(() => random() - 0.5).slice(0, 2 + Math.floor(random() * 3));
    for (const p of chosen) {
      const from = config[p.name]!;
      let to: ParameterValue;
      if (isNumeric(p)) to = decode(p, encode(p, Number(from)) + (random() * 2 - 1) * stepSize);
      else if (p.type === 'choice') to = p.choices[Math.floor(random() * p.choices.length)]!;
      else to = !from;
      if (to === from) continue;
      const direction = typeof to === 'number' && typeof from === 'number' ? (to > from ? 1 : -1) : undefined;
      const reasons = [why];
      group.push({ step: direction === undefined ? { param: p.name, from, to, reasons } : { param: p.name, from, to, direction, reasons }, score: 0, insights: [] });
    }
    if (group.length > 0 && accept(setOf(group))) return group;
  }
  return undefined;
}

// The constraint to relax first: the least certain (lowest ratio, then least support), then the newest.
function weakestOf(constraints: readonly ClaimedInsight[]): ClaimedInsight {
  const strength = (c: ClaimedInsight) => [c.claim.support / c.claim.of, c.claim.support] as const;
  return constraints.reduce((weakest, c) => {
    const [a, b] = [strength(c), strength(weakest)];
    return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]) ? c : weakest;
  });
}

function withRelaxed(proposal: Proposal, relaxed: readonly ClaimedInsight[]): Proposal {
  if (relaxed.length === 0) return proposal;
  const what = relaxed.map((c) => `${c.id} (${c.text})`).join('; ');
  return {
    ...proposal,
    mechanism: `${proposal.mechanism}. Relaxes ${relaxed.length === 1 ? 'insight' : 'insights'} ${what}: with ${relaxed.length === 1 ? 'it' : 'them'} in force nothing new was left to try, so the weakest constraint gives way first`,
    insightsConsidered: [...new Set([...proposal.insightsConsidered, ...relaxed.map((c) => c.id)])],
    insightsRelaxed: relaxed.map((c) => c.id),
  };
}

// One-factor changes from this node or its ancestors that changed nothing measurable.
function plateaus(tree: SearchTree, parentId: string, space: readonly Parameter[]): Map<string, Plateau[]> {
  const found = new Map<string, Plateau[]>();
  for (const ancestor of lineage(tree, parentId)) {
    for (const id of ancestor.children) {
      const o = observe(tree, tree.nodes.get(id)!, space);
      if (!o?.isolated || !o.noEffect) continue;
      const m = o.moves[0]!;
      const p = space.find((q) => q.name === m.param)!;
      const flat: Plateau = isNumeric(p)
        ? { nodeId: o.nodeId, lo: Math.min(encode(p, Number(m.from)), encode(p, Number(m.to))), hi: Math.max(encode(p, Number(m.from)), encode(p, Number(m.to))) }
        : { nodeId: o.nodeId, values: [m.from, m.to] };
      found.set(m.param, [...(found.get(m.param) ?? []), flat]);
    }
  }
  return found;
}

// A local step moves one or two parameters; a design point from the root moves them all at once,
// so its outcome says nothing about any one direction.
function isLocal(o: { moves: readonly unknown[] }): boolean {
  return o.moves.length <= 2;
}

// The steps from `base` to `base + set`, each with the same reason.
function stepsTo(space: readonly Parameter[], base: ParamConfig, set: Record<string, ParameterValue>, why: string): Candidate[] {
  return space
    .filter((p) => p.name in set)
    .map((p) => {
      const from = base[p.name]!;
      const to = set[p.name]!;
      const direction = typeof to === 'number' && typeof from === 'number' ? (to > from ? 1 : -1) : undefined;
      const step: Step = direction === undefined ? { param: p.name, from, to, reasons: [why] } : { param: p.name, from, to, direction, reasons: [why] };
      return { step, score: 0, insights: [] };
    });
}

/**
 * A batch chosen by the node's surrogate: candidates are the heuristic local moves (each keeping
 * its own reasons), trust-region perturbations of the node's configuration and draws from the
 * surrogate's good density; each is rated by the surrogate (log density ratio; a heuristic move
 * adds a tenth of its own score, so lessons and lineage trends still tip close calls), and the
 * best-rated untried ones are taken. Each proposal says which surrogate chose it and why.
 */
function guidedBatch(
  space: readonly Parameter[],
  base: ParamConfig,
  pool: readonly Candidate[],
  surrogate: NodeSurrogate,
  options: { count: number; random: () => number; parentId: string; accept: (set: Record<string, ParameterValue>) => boolean },
): Candidate[][] {
  const { count, random, parentId } = options;
  type Option = { set: Record<string, ParameterValue>; kind: 'step' | 'region' | 'model'; group?: Candidate[] };
  // Every node, the root included, rates all three kinds: when nothing beat the root, draws from
  // the good density alone land far from it on every parameter at once and can miss for a whole
  // budget (movies seed 4: 96 draws, none better), while steps inside its trust region do not.
  const found: Option[] = pool.slice(0, 16).map((c) => ({ set: setOf([c]), kind: 'step', group: [c] }));
  for (let i = 0; i < 48; i++) found.push({ set: changedParams(space, surrogate.perturb(base, random), base), kind: 'region' });
  for (let i = 0; i < 32; i++) found.push({ set: changedParams(space, surrogate.model.sample(random), base), kind: 'model' });
  const seen = new Set<string>();
  // A step much shorter than the trust radius teaches nothing under run-to-run noise, however close
  // to the good configurations it stays (the density ratio favours exactly such steps).
  const reach = (set: Record<string, ParameterValue>) =>
    Math.max(...space.filter((p) => p.name in set).map((p) => (isNumeric(p) ? Math.abs(encode(p, Number(set[p.name])) - encode(p, Number(base[p.name]))) : 1)));
  const rated = found
    .filter((o) => {
      const key = configKey({ ...base, ...o.set }, space);
      if (Object.keys(o.set).length === 0 || seen.has(key) || reach(o.set) < surrogate.radius / 2 || !options.accept(o.set)) return false;
      seen.add(key);
      return true;
    })
    .map((o) => ({ ...o, rating: surrogate.rate({ ...base, ...o.set }) + (o.group ? 0.1 * o.group[0]!.score : 0) }))
    .sort((a, b) => b.rating - a.rating)
    .map((o, place) => ({ ...o, place }));
  const total = rated.length;
  // The root opens new directions as well as stepping around the defaults: half of its batch (at
  // least one) is the best-rated whole configurations drawn from the good density, the rest the
  // best-rated of everything. Local steps alone starve a task whose gains need several parameters
  // moved far at once (penguins); draws alone miss the gains near good defaults (movies).
  if (parentId === ROOT_NODE_ID) {
    const draws = rated.filter((o) => o.kind === 'model').slice(0, Math.max(1, Math.floor(count / 2)));
    const rest = rated.filter((o) => !draws.includes(o));
    rated.splice(0, rated.length, ...draws, ...rest);
  }
  const refused = surrogate.refused > 0 ? `, the ${surrogate.refused} the dev screen or the gate refused counted below their parent by what they missed by` : '';
  const model = `a surrogate conditioned on node ${parentId} (a Parzen model of ${surrogate.evaluated} evaluations, ${surrogate.better >= 2 ? `the ${surrogate.better} that beat node ${parentId}` : 'the best quarter'} against the rest${refused}, weighted by kinship and by distance within the trust radius ${formatValue(surrogate.radius)})`;
  return rated.slice(0, count).map((o) => {
    const why = `${model} rates this ${o.place === 0 ? 'highest' : `number ${o.place + 1}`} of ${total} candidates (log density ratio ${formatValue(o.rating)})`;
    if (o.group) {
      o.group.forEach((c) => c.step.reasons.push(why));
      return o.group;
    }
    const how =
      o.kind === 'region'
        ? `a step inside node ${parentId}'s trust region; ${why}`
        : `a draw from the surrogate's good density${parentId === ROOT_NODE_ID ? ' (a new direction: half of the root\'s batch is its best such draws)' : ''}; ${why}`;
    return stepsTo(space, base, o.set, how);
  });
}
