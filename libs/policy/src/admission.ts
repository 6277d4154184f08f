import type { NodeId } from '@hypotree/events';
import { admittedAncestor, orient, type SearchTree, type TreeNode } from '@hypotree/tree';
import { z } from 'zod';
import { policyRef, type Reasoned } from './decision.js';
import { integrityObjection } from './integrity.js';
import { experimentsUsed } from './budget.js';
import { criticalValue, devGroups, differenceNoise, gateGroups, shrunk, typicalNoise } from './noise.js';

/** Ask the sealed gate, admit, or reject — with the deltas and the ids of the evidence events used. */
export type AdmissionDecision = Reasoned & {
  action: 'gate' | 'admit' | 'reject' | 'repeat';
  /** For `repeat`: how many more dev runs to ask for; for `gate` on a node already gated: how many more gate runs (a second look). */
  runs?: number;
  nodeId: NodeId;
  deltas: Record<string, number>;
  evidence: string[];
};

export const AdmissionParamsSchema = z.object({
  /**
   * `calibrated`: each node's run variance shrunk toward the search's typical one, Welch-t
   * thresholds, the gate at level `alpha` / gate budget (see README, *Admission*). `fixed`: the first policy
   * (`sigmas` standard errors of the two nodes' own runs on dev, `gateMargin` on the gate); kept
   * for replaying old searches and as the baseline of bench/admission.mjs.
   */
  test: z.enum(['calibrated', 'fixed']).default('calibrated'),
  /**
   * The chance, over a whole search, of admitting any candidate that is not really better (on
   * run-to-run noise). Each gate call tests at alpha / gate budget — a Bonferroni schedule over the
   * gate budget — so however adaptively candidates are chosen, the calls together stay within alpha.
   */
  alpha: z.number().gt(0).lt(1).default(0.05),
  /** One-sided level of the dev screen that decides whether a gate call is worth spending (it spends budget, it does not make the guarantee). */
  devAlpha: z.number().gt(0).lt(1).default(0.2),
  /** The gain must also be at least this fraction of the parent's score, so noiseless runs still need a real gain. */
  minRelativeGain: z.number().nonnegative().default(0.002),
  /** `fixed` test only: the dev gain must exceed this many standard errors of the two nodes' runs. */
  sigmas: z.number().nonnegative().default(1),
  /** `fixed` test only: the gate must improve on the parent's gate score by more than this (absolute, oriented). */
  gateMargin: z.number().nonnegative().default(0),
  /**
   * Adaptive repeats (calibrated test): a dev gain within one standard error below its threshold
   * asks for more runs of the candidate, up to this many in all, instead of a rejection.
   */
  maxRuns: z.number().int().min(1).default(6),
  /** `verified`: dev screen and the gate; `dev-only`: dev alone (an ablation, no gate calls). */
  mode: z.enum(['verified', 'dev-only']).default('verified'),
  /**
   * The gate is scarce once the gate evaluations left, times this, are no more than the experiments
   * left (2: fewer than one call per two experiments). Then a candidate goes to the gate only if its
   * dev score beats every admitted node's: the last calls are kept for candidates that could become
   * the best. Fewer gate calls never weaken the guarantee (it is over the gate budget). 0 turns this
   * off; searches started before admission version 4 resume with 0.
   */
  gateScarcity: z.number().nonnegative().default(2),
  /**
   * Seeds per gate evaluation of a candidate; the baseline's gate, which every first-level
   * candidate is compared with, gets twice as many (at least the baseline's dev repeats). The gate
   * tests at alpha / gate budget, so its critical t is large: with two runs a node's spread rests on
   * one degree of freedom and most of a real gain is lost to the threshold (bench/admission.mjs,
   * *gate runs*). More seeds buy power at the same error rate and the same number of gate calls.
   * 0: the task's `repeats` for a candidate and the baseline's dev repeats for the baseline, as
   * searches started before admission version 5 ran.
   */
  gateRuns: z.number().int().min(0).max(100).default(4),
  /**
   * A dev-cleared candidate goes to the gate only if its dev score beats every candidate the gate
   * already refused against the same parent: a sibling with a higher dev gain did not convince the
   * gate, so a lower one is unlikely to. This stops a search from spending its gate budget on a
   * region that dev favours and the gate does not (each new dev record there still gets one call).
   * Off by default; fewer gate calls never weaken the guarantee.
   */
  refusedBar: z.boolean().default(false),
  /**
   * A second gate look (calibrated test): a candidate whose gate gain falls short of its threshold,
   * but would clear the threshold that this many more gate runs of the candidate would set, gets
   * them (new seeds) and is decided on all its gate runs. The second look is one more gate
   * evaluation, counted against the gate budget. Each candidate's level alpha / G is then split
   * between its two looks (each at alpha / 2G, the first look included, whether or not a second
   * follows), so a candidate admits noise with chance at most alpha / G and at most G candidates
   * are gated: the guarantee over the search stays alpha. Two looks at most. 0 (the default): off.
   */
  gateExtend: z.number().int().min(0).max(100).default(0),
});
export type AdmissionParams = z.infer<typeof AdmissionParamsSchema>;

/** How many seeds a candidate's gate evaluation runs: `gateRuns`, or the task's repeats (undefined) when it is 0. */
export function candidateGateSeeds(params: Pick<AdmissionParams, 'gateRuns'>): number | undefined {
  return params.gateRuns === 0 ? undefined : params.gateRuns;
}

/** How many seeds the baseline's gate evaluation runs: twice `gateRuns`, at least its dev repeats (those alone when `gateRuns` is 0). */
export function baselineGateSeeds(params: Pick<AdmissionParams, 'gateRuns'>, baselineRepeats: number): number {
  return Math.max(baselineRepeats, 2 * params.gateRuns);
}

/** One comparison of a candidate with its parent: the oriented gain, what it must clear, and the numbers behind it. */
interface Comparison {
  delta: number;
  threshold: number;
  /** Standard error of the difference (absent in the fixed test). */
  se?: number;
  deltas: Record<string, number>;
  why: string;
}

const mean = (runs: readonly { value: number }[]) => runs.reduce((a, r) => a + r.value, 0) / runs.length;

function fmt(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/** The numbers a decision records, without the non-finite ones (a t quantile on 0 degrees of freedom, when there is no noise to scale). */
function finite(deltas: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(deltas).filter(([, v]) => Number.isFinite(v)));
}

/** Dev: the calibrated screen (pooled noise, t at devAlpha) or the fixed one (the two nodes' own spread). */
function devComparison(tree: SearchTree, node: TreeNode, parent: TreeNode, params: AdmissionParams): Comparison {
  const direction = tree.objective!.direction;
  const child = node.result!;
  const base = parent.result!;
  const delta = orient(child.mean, direction) - orient(base.mean, direction);
  const floor = params.minRelativeGain * (Math.abs(base.mean) + 1e-12);
  if (params.test === 'fixed') {
    const noise = Math.sqrt(base.stdev ** 2 / base.runs.length + child.stdev ** 2 / child.runs.length);
    const threshold = Math.max(params.sigmas * noise, floor);
    return { delta, threshold, deltas: { dev: delta, threshold, noise }, why: `${params.sigmas}σ noise ${fmt(noise)}, floor ${fmt(floor)}` };
  }
  const prior = typicalNoise(devGroups(tree));
  const { se, df } = differenceNoise({ noise: shrunk(child.runs, prior), n: child.runs.length }, { noise: shrunk(base.runs, prior), n: base.runs.length });
  const critical = criticalValue(params.devAlpha, df);
  const threshold = Math.max(se > 0 ? critical * se : 0, floor);
  return {
    delta,
    threshold,
    se,
    deltas: { dev: delta, threshold, se, df, critical },
    why: `t(${fmt(1 - params.devAlpha)}, ${fmt(df)} df) × se ${fmt(se)}, each node's spread shrunk toward the search's typical one, floor ${fmt(floor)}`,
  };
}

/**
 * Gate: the calibrated test (shrunk spreads, Welch t at level alpha / gate budget) or the fixed
 * margin. `extra`: the threshold as it would be with that many more runs of the candidate at the
 * same spread (what a second look would have to clear).
 */
function gateComparison(tree: SearchTree, node: TreeNode, parent: TreeNode, params: AdmissionParams, extra = 0): Comparison {
  const direction = tree.objective!.direction;
  const gate = node.gate!;
  const base = parent.gate!;
  const delta = orient(gate.mean, direction) - orient(base.mean, direction);
  if (params.test === 'fixed') {
    return { delta, threshold: params.gateMargin, deltas: { gate: delta, gateMargin: params.gateMargin }, why: `margin ${fmt(params.gateMargin)}` };
  }
  const budget = Math.max(1, tree.started?.budget.gateEvaluations ?? 1);
  // With second looks on, a candidate's share alpha / G is split between its two looks: each tests
  // at alpha / (2G), so whether or not the second is taken, the candidate admits noise with chance
  // at most alpha / G (a union bound over its looks), and over at most G gated candidates, alpha.
  const looks = params.gateExtend > 0 ? 2 : 1;
  const level = params.alpha / budget / looks;
  const prior = typicalNoise(gateGroups(tree));
  const own = shrunk(gate.runs, prior);
  const candidate = { noise: { variance: own.variance, df: own.df + extra }, n: gate.runs.length + extra };
  const { se, df } = differenceNoise(candidate, { noise: shrunk(base.runs, prior), n: base.runs.length });
  const critical = criticalValue(level, df);
  const floor = params.minRelativeGain * (Math.abs(mean(base.runs)) + 1e-12);
  const threshold = Math.max(se > 0 ? critical * se : 0, floor);
  return {
    delta,
    threshold,
    deltas: { gate: delta, gateThreshold: threshold, gateSe: se, gateDf: df, gateLevel: level },
    why: `t(1 − ${fmt(params.alpha)}/${looks > 1 ? `(2·${budget})` : budget}, ${fmt(df)} df) × se ${fmt(se)}`,
  };
}

/**
 * How many more gate runs a candidate the gate just refused gets for a second look, or undefined:
 * `gateExtend` is on, the node has had one look, a gate call is left, and its gain would clear the
 * threshold that many more runs would set (the spread unchanged).
 */
function secondLook(tree: SearchTree, node: TreeNode, parent: TreeNode, params: AdmissionParams): { runs: number; threshold: number } | undefined {
  if (params.gateExtend === 0 || params.test !== 'calibrated' || node.gate!.firstLook) return undefined;
  if ((tree.started?.budget.gateEvaluations ?? 0) - tree.gateEvaluationsUsed <= 0) return undefined;
  const projected = gateComparison(tree, node, parent, params, params.gateExtend);
  return projected.delta > projected.threshold ? { runs: params.gateExtend, threshold: projected.threshold } : undefined;
}

/**
 * Why a dev-cleared candidate does not get one of the last gate calls, or undefined when it does:
 * once the gate is scarce (`left` × `scarcity` ≤ experiments left), only a candidate whose dev
 * score beats the best admitted node's may spend one.
 */
function gateReserved(tree: SearchTree, node: TreeNode, left: number, scarcity: number): { reason: string; evidence: string[] } | undefined {
  const experimentsLeft = (tree.started?.budget.experiments ?? 0) - experimentsUsed(tree);
  if (left * scarcity > experimentsLeft) return undefined;
  const direction = tree.objective!.direction;
  const best = bestOnDev(tree, (n) => n.status === 'admitted');
  if (!best || orient(node.result!.mean, direction) > orient(best.result!.mean, direction)) return undefined;
  const reason = `its dev score ${fmt(node.result!.mean)} does not beat the best admitted node ${best.id}'s ${fmt(best.result!.mean)}, and ${left} gate evaluation(s) are left for ${experimentsLeft} more experiment(s): the gate is kept for candidates that could become the best`;
  return { reason, evidence: [best.result!.eventId] };
}

/**
 * The best-scoring (on dev) candidate the gate refused against `parent`, when its dev score is at
 * least the candidate's (`refusedBar`); undefined when the candidate beats every such refusal.
 */
function refusedAbove(tree: SearchTree, node: TreeNode, parent: TreeNode): TreeNode | undefined {
  const direction = tree.objective!.direction;
  const best = bestOnDev(tree, (n) => n.decision?.rule === 'gate-disagrees' && admittedAncestor(tree, n.id)?.id === parent.id);
  return best && orient(best.result!.mean, direction) >= orient(node.result!.mean, direction) ? best : undefined;
}

/** The node with the best dev score among those with a result that `keep` accepts (the first of a tie). */
function bestOnDev(tree: SearchTree, keep: (n: TreeNode) => boolean): TreeNode | undefined {
  const direction = tree.objective!.direction;
  let best: TreeNode | undefined;
  for (const n of tree.nodes.values()) {
    if (n.result && keep(n) && (!best || orient(n.result.mean, direction) > orient(best.result!.mean, direction))) best = n;
  }
  return best;
}

/**
 * Verified improvement: a candidate is admitted only when its dev gain over its admitted parent
 * clears the dev screen and the sealed gate agrees by a noise-aware margin, on evidence that ran as
 * the search requires. Called before the gate (→ more runs, gate or reject) and once after (→ admit
 * or reject); a pure function of the tree.
 */
export function admissionPolicy(input: Partial<AdmissionParams> = {}) {
  const params = AdmissionParamsSchema.parse(input);
  // Version 4: the gate is reserved for candidates that could become the best once it is scarce.
  // Version 5: gate evaluations run `gateRuns` seeds (the baseline's twice as many).
  const ref = policyRef({ name: 'admission', version: 5, params });
  const decide = (tree: SearchTree, nodeId: NodeId): AdmissionDecision => {
    const node = tree.nodes.get(nodeId);
    if (!node?.result || !tree.objective) throw new Error(`admission: node ${nodeId} has no successful experiment to decide on`);
    const parent = admittedAncestor(tree, nodeId);
    if (!parent?.result) throw new Error(`admission: node ${nodeId} has no admitted ancestor with a score`);
    const out = (action: AdmissionDecision['action'], rule: string, reason: string, deltas: Record<string, number>, evidence: string[]) => ({
      policy: ref, action, nodeId, rule, reason, deltas: finite(deltas), evidence,
    });

    const dev = devComparison(tree, node, parent, params);
    const devEvidence = [node.result.eventId, parent.result.eventId];
    const objection = integrityObjection(tree, node);
    if (objection !== undefined) return out('reject', objection.rule, objection.reason, dev.deltas, [...new Set([...objection.evidence, ...devEvidence])]);
    const close =
      params.test === 'calibrated' && !node.gate && !node.gateFailure && dev.se !== undefined && dev.delta > dev.threshold - dev.se && node.result.runs.length < params.maxRuns;
    if (!(dev.delta > dev.threshold) && close) {
      const more = Math.min(params.maxRuns - node.result.runs.length, node.result.runs.length);
      const decision = out('repeat', 'dev-close', `dev gain ${fmt(dev.delta)} over ${parent.id} is within one standard error of ${fmt(dev.threshold)}: run ${more} more seed(s)`, dev.deltas, devEvidence);
      return { ...decision, runs: more };
    }
    if (!(dev.delta > dev.threshold)) {
      return out('reject', 'dev-below-threshold', `dev gain ${fmt(dev.delta)} over ${parent.id} does not clear ${fmt(dev.threshold)} (${dev.why})`, dev.deltas, devEvidence);
    }
    if (params.mode === 'dev-only') {
      return out('admit', 'dev-improvement', `dev gain ${fmt(dev.delta)} over ${parent.id} clears ${fmt(dev.threshold)}; no gate in dev-only mode`, dev.deltas, devEvidence);
    }
    if (node.gateFailure) {
      return out('reject', 'gate-failed', `the gate evaluation of ${nodeId} failed (${node.gateFailure.kind}): ${node.gateFailure.detail.slice(0, 200)}`, dev.deltas, [...devEvidence, node.gateFailure.eventId]);
    }
    if (!parent.gate) return out('reject', 'parent-not-gated', `parent ${parent.id} has no gate score to compare with`, dev.deltas, devEvidence);
    if (!node.gate) {
      const left = (tree.started?.budget.gateEvaluations ?? 0) - tree.gateEvaluationsUsed;
      if (left <= 0) return out('reject', 'gate-budget-exhausted', `dev gain ${fmt(dev.delta)} clears the threshold but no gate evaluation is left`, dev.deltas, devEvidence);
      const reserve = params.gateScarcity > 0 ? gateReserved(tree, node, left, params.gateScarcity) : undefined;
      if (reserve) return out('reject', 'gate-reserved', `dev gain ${fmt(dev.delta)} over ${parent.id} clears ${fmt(dev.threshold)}, but ${reserve.reason}`, dev.deltas, [...devEvidence, ...reserve.evidence]);
      const refused = params.refusedBar ? refusedAbove(tree, node, parent) : undefined;
      if (refused) {
        const reason = `dev gain ${fmt(dev.delta)} over ${parent.id} clears ${fmt(dev.threshold)}, but node ${refused.id}'s dev score ${fmt(refused.result!.mean)} was at least as good and the gate refused it against ${parent.id}: the gate is kept for a candidate that beats it`;
        return out('reject', 'gate-dominated', reason, dev.deltas, [...devEvidence, refused.result!.eventId, refused.decision!.eventId]);
      }
      return out('gate', 'dev-cleared', `dev gain ${fmt(dev.delta)} over ${parent.id} clears ${fmt(dev.threshold)}: ask the gate`, dev.deltas, devEvidence);
    }
    const gate = gateComparison(tree, node, parent, params);
    const deltas = { ...dev.deltas, ...gate.deltas };
    const looks = node.gate.firstLook ? [node.gate.firstLook.eventId, node.gate.eventId] : [node.gate.eventId];
    const evidence = [...devEvidence, ...looks, parent.gate.eventId];
    const onRuns = node.gate.firstLook ? ` on ${node.gate.runs.length} gate runs, ${node.gate.firstLook.runs} of them from the first look` : '';
    if (gate.delta > gate.threshold) {
      return out('admit', 'verified', `dev gain ${fmt(dev.delta)} > ${fmt(dev.threshold)} and gate gain ${fmt(gate.delta)} > ${fmt(gate.threshold)} (${gate.why}) over ${parent.id}${onRuns}`, deltas, evidence);
    }
    const more = secondLook(tree, node, parent, params);
    if (more) {
      const reason = `gate gain ${fmt(gate.delta)} over ${parent.id} does not clear ${fmt(gate.threshold)} (${gate.why}), but would clear ${fmt(more.threshold)}, the threshold with ${more.runs} more gate run(s): a second look, at the other half of the candidate's level`;
      return { ...out('gate', 'gate-close', reason, deltas, evidence), runs: more.runs };
    }
    return out('reject', 'gate-disagrees', `dev gain ${fmt(dev.delta)} cleared the threshold but the gate gain ${fmt(gate.delta)} does not clear ${fmt(gate.threshold)} (${gate.why}) over ${parent.id}${onRuns}`, deltas, evidence);
  };
  return { ...ref, params, decide };
}
