import type { SearchEventData } from '@hypotree/events';
import type { Parameter } from '@hypotree/task';
import { selectionPolicy, seededRandom } from '@hypotree/policy';
import { EventScript } from '@hypotree/tree/testing';
import { bestAdmitted, fold, insightsOnPath, type SearchTree } from '@hypotree/tree';
import { effectiveParams, type ParamConfig } from './space.js';
import { taskWith } from './task.fixture.js';
import type { Distiller, Proposal, Proposer } from './types.js';

/** A smooth objective with its optimum inside the space, standing in for a real evaluator. */
export type Objective = (config: ParamConfig) => number;

/** The outcome of a tiny search: its tree and the true (noise-free) objective of the best admitted node. */
export interface SearchOutcome {
  tree: SearchTree;
  best: number;
  experiments: number;
}

/** Appends a global constraint lesson ("raising lr above 0.3 hurt 3/3 times") as the offline distiller would record it. */
export function recordConstraint(s: EventScript, insightId: string, claim: NonNullable<SearchEventData<'InsightDistilled'>['claim']>, evidence: string[] = ['e1', 'e2', 'e3']): void {
  const text = `raising ${claim.param} above ${String(claim.value)} hurt ${claim.support}/${claim.of} times across the tree`;
  s.add({ type: 'InsightDistilled', data: { insightId, nodeId: '0', scope: 'global', kind: 'constraint', text, evidence, distiller: { kind: 'offline' }, claim } });
}

/** Appends a proposal as the HypothesisProposed event a coordinator would write. */
export function recordProposal(s: EventScript, nodeId: string, parentId: string, p: Proposal): void {
  s.add({ type: 'HypothesisProposed', data: { nodeId, parentId, ...p } });
}

/**
 * A miniature coordinator over real events: best-first selection, proposals from `proposer`,
 * two noisy runs of `objective` per experiment, admission when the mean beats the parent's, and
 * (optionally) distilled insights fed back into later proposals.
 */
export async function runSearch(options: {
  proposer: Proposer;
  distiller?: Distiller;
  space: Parameter[];
  objective: Objective;
  budget: number;
  seed: number;
  noise?: number;
  /** Replaces the noisy objective as the dev runs (e.g. a real training run per seed); `objective` then only scores the best node. */
  measure?: (config: ParamConfig) => number[];
}): Promise<SearchOutcome> {
  const { proposer, distiller, space, objective, budget, seed, noise = 0.005, measure } = options;
  const task = taskWith(space);
  const s = new EventScript(`search-${seed}`);
  const draw = seededRandom(seed, 7);
  const runs = measure ?? ((config: ParamConfig) => [0, 1].map(() => objective(config) + noise * (draw() + draw() + draw() - 1.5) * 2));
  s.start({ seed });
  s.baseline(runs(effectiveParams(fold(s.events), '0', space)));
  const selection = selectionPolicy({ strategy: 'best-first' });
  let experiments = 0;
  let tree = fold(s.events);
  while (experiments < budget) {
    const decision = selection.decide(tree);
    if (decision.kind === 'none') break;
    if (decision.kind === 'expand') {
      const parentParams = effectiveParams(tree, decision.parentId, space);
      const insights = insightsOnPath(tree, decision.parentId);
      const proposals = await proposer.propose({ tree, task, parentId: decision.parentId, count: decision.count, insights, parentParams });
      if (proposals.length === 0) break;
      const first = tree.nodes.get(decision.parentId)!.children.length + 1;
      proposals.forEach((p, i) => recordProposal(s, decision.parentId === '0' ? String(first + i) : `${decision.parentId}.${first + i}`, decision.parentId, p));
    } else {
      const node = tree.nodes.get(decision.nodeId)!;
      const parent = tree.nodes.get(node.parentId!)!;
      const values = runs(effectiveParams(tree, node.id, space));
      s.succeed(node.id, values);
      experiments += 1;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      s.decide(node.id, mean > parent.result!.mean);
      if (distiller) {
        const drafts = await distiller.distill({ tree: fold(s.events), task, nodeId: node.id });
        for (const d of drafts) {
          s.add({ type: 'InsightDistilled', data: { insightId: d.insightId, nodeId: d.nodeId, scope: d.scope, kind: d.kind, text: d.text, evidence: d.evidence, distiller: d.distiller, ...(d.claim ? { claim: d.claim } : {}) } });
          for (const old of d.supersedes) s.add({ type: 'InsightSuperseded', data: { insightId: old, supersededBy: d.insightId, reason: 'new evidence' } });
        }
      }
    }
    tree = fold(s.events);
  }
  const best = bestAdmitted(tree)!;
  return { tree, best: objective(effectiveParams(tree, best.id, space)), experiments };
}
