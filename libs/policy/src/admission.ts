import type { NodeId } from '@hypotree/events';
import { admittedAncestor, orient, type SearchTree, type TreeNode } from '@hypotree/tree';
import { z } from 'zod';
import { policyRef, type Reasoned } from './decision.js';
import { integrityObjection } from './integrity.js';

/** Ask the sealed gate, admit, or reject — with the deltas and the ids of the evidence events used. */
export type AdmissionDecision = Reasoned & {
  action: 'gate' | 'admit' | 'reject';
  nodeId: NodeId;
  deltas: Record<string, number>;
  evidence: string[];
};

export const AdmissionParamsSchema = z.object({
  /**
   * The dev gain must exceed this many standard errors of the difference (from the runs of both).
   * One, not two: with a few seeds the spread itself is a rough estimate, and the sealed gate is the
   * independent second check that keeps noise from being admitted.
   */
  sigmas: z.number().nonnegative().default(1),
  /** …and at least this fraction of the parent's score, so noiseless single runs still need a real gain. */
  minRelativeGain: z.number().nonnegative().default(0.002),
  /** The gate must improve on the parent's gate score by more than this (absolute, oriented). */
  gateMargin: z.number().nonnegative().default(0),
  /** `verified`: dev threshold and the gate; `dev-only`: dev threshold alone (an ablation, no gate calls). */
  mode: z.enum(['verified', 'dev-only']).default('verified'),
});
export type AdmissionParams = z.infer<typeof AdmissionParamsSchema>;

/**
 * Verified improvement: a candidate is admitted only when its dev gain over its admitted parent clears a
 * noise-aware threshold and the sealed gate agrees. Called once before the gate (→ gate or reject) and
 * once after (→ admit or reject); a pure function of the tree.
 */
export function admissionPolicy(input: Partial<AdmissionParams> = {}) {
  const params = AdmissionParamsSchema.parse(input);
  const ref = policyRef({ name: 'admission', version: 2, params });
  const decide = (tree: SearchTree, nodeId: NodeId): AdmissionDecision => {
    const node = tree.nodes.get(nodeId);
    const direction = tree.objective?.direction;
    if (!node?.result || !direction) throw new Error(`admission: node ${nodeId} has no successful experiment to decide on`);
    const parent = admittedAncestor(tree, nodeId);
    if (!parent?.result) throw new Error(`admission: node ${nodeId} has no admitted ancestor with a score`);
    const out = (action: AdmissionDecision['action'], rule: string, reason: string, deltas: Record<string, number>, evidence: string[]) => ({
      policy: ref, action, nodeId, rule, reason, deltas, evidence,
    });

    const dev = devComparison(node, parent, direction, params);
    const devEvidence = [node.result.eventId, parent.result.eventId];
    const objection = integrityObjection(tree, node);
    if (objection !== undefined) return out('reject', objection.rule, objection.reason, dev.deltas, [...new Set([...objection.evidence, ...devEvidence])]);
    if (dev.delta <= dev.threshold) {
      return out('reject', 'dev-below-threshold', `dev gain ${fmt(dev.delta)} over ${parent.id} does not clear ${fmt(dev.threshold)} (${params.sigmas}σ noise ${fmt(dev.noise)}, floor ${fmt(dev.floor)})`, dev.deltas, devEvidence);
    }
    if (params.mode === 'dev-only') {
      return out('admit', 'dev-improvement', `dev gain ${fmt(dev.delta)} over ${parent.id} clears ${fmt(dev.threshold)}; no gate in dev-only mode`, dev.deltas, devEvidence);
    }
    if (node.gateFailure) {
      return out('reject', 'gate-failed', `the gate evaluation of ${nodeId} failed (${node.gateFailure.kind}): ${node.gateFailure.detail.slice(0, 200)}`, dev.deltas, [...devEvidence, node.gateFailure.eventId]);
    }
    if (!parent.gate) {
      return out('reject', 'parent-not-gated', `parent ${parent.id} has no gate score to compare with`, dev.deltas, devEvidence);
    }
    if (!node.gate) {
      const left = (tree.started?.budget.gateEvaluations ?? 0) - tree.gateEvaluationsUsed;
      if (left <= 0) return out('reject', 'gate-budget-exhausted', `dev gain ${fmt(dev.delta)} clears the threshold but no gate evaluation is left`, dev.deltas, devEvidence);
      return out('gate', 'dev-cleared', `dev gain ${fmt(dev.delta)} over ${parent.id} clears ${fmt(dev.threshold)}: ask the gate`, dev.deltas, devEvidence);
    }
    const gateDelta = orient(node.gate.mean, direction) - orient(parent.gate.mean, direction);
    const deltas = { ...dev.deltas, gate: gateDelta, gateMargin: params.gateMargin };
    const evidence = [...devEvidence, node.gate.eventId, parent.gate.eventId];
    if (gateDelta > params.gateMargin) {
      return out('admit', 'verified', `dev gain ${fmt(dev.delta)} > ${fmt(dev.threshold)} and gate gain ${fmt(gateDelta)} > ${fmt(params.gateMargin)} over ${parent.id}`, deltas, evidence);
    }
    return out('reject', 'gate-disagrees', `dev gain ${fmt(dev.delta)} cleared the threshold but the gate moved ${fmt(gateDelta)} against ${parent.id}`, deltas, evidence);
  };
  return { ...ref, params, decide };
}

function devComparison(node: TreeNode, parent: TreeNode, direction: 'maximize' | 'minimize', params: AdmissionParams) {
  const child = node.result!;
  const base = parent.result!;
  const delta = orient(child.mean, direction) - orient(base.mean, direction);
  const noise = Math.sqrt(base.stdev ** 2 / base.runs.length + child.stdev ** 2 / child.runs.length);
  const floor = params.minRelativeGain * (Math.abs(base.mean) + 1e-12);
  const threshold = Math.max(params.sigmas * noise, floor);
  return { delta, noise, floor, threshold, deltas: { dev: delta, threshold, noise } };
}

function fmt(value: number): string {
  return Number(value.toPrecision(3)).toString();
}
