import { ROOT_NODE_ID, type NodeId } from '@hypotree/events';
import { isPruned, running, frontier, type SearchTree, type TreeNode } from '@hypotree/tree';
import { z } from 'zod';
import { budgetStatus } from './budget.js';
import { policyRef, type Reasoned } from './decision.js';

export interface PruneDecision {
  nodeId: NodeId;
  rule: string;
  reason: string;
}

/** Subtrees to prune, and whether (and why) the search should stop. */
export type RefinementDecision = { policy: Reasoned['policy']; prune: PruneDecision[]; stop?: { rule: string; reason: string } };

export const RefinementParamsSchema = z.object({
  /** Prune an admitted node (not the root) once its last this-many finished children all failed or were rejected… */
  falsifyAfter: z.number().int().positive().default(3),
  /**
   * …and its children between them varied at least this many distinct parameters, every parameter
   * known to matter among them (one whose single-parameter change was admitted somewhere in the
   * tree): three rejected steps on parameters that do not matter falsify nothing.
   */
  falsifyCoverage: z.number().int().nonnegative().default(4),
  /** Stop when this many experiments in a row finished without an admission. */
  convergenceWindow: z.number().int().positive().default(16),
});
export type RefinementParams = z.infer<typeof RefinementParamsSchema>;

function finished(n: TreeNode): boolean {
  return Boolean(n.failure || n.decision);
}

/** Prunes falsified directions and decides when to stop (budget, convergence, nothing left): pure in (tree, now). */
export function refinementPolicy(input: Partial<RefinementParams> = {}) {
  const params = RefinementParamsSchema.parse(input);
  // Version 2: pruning also needs the children to have covered the parameters that matter.
  const ref = policyRef({ name: 'refinement', version: 2, params });
  const decide = (tree: SearchTree, now: Date): RefinementDecision => {
    const prune: PruneDecision[] = [];
    const key = parametersThatMatter(tree);
    for (const n of tree.nodes.values()) {
      if (n.id === ROOT_NODE_ID || n.status !== 'admitted' || isPruned(tree, n.id)) continue;
      const kids = n.children.map((id) => tree.nodes.get(id)!);
      if (kids.some((k) => !finished(k))) continue;
      const recent = kids.slice(-params.falsifyAfter);
      if (recent.length < params.falsifyAfter || recent.some((k) => k.decision?.admitted)) continue;
      const varied = new Set(kids.flatMap((k) => changedParameters(k)));
      const missing = [...key].filter((p) => !varied.has(p));
      if (varied.size < params.falsifyCoverage || missing.length > 0) continue;
      const what = recent.map((k) => `${k.id} ${k.failure ? `failed: ${k.failure.kind}` : `rejected: ${k.decision!.rule}`}`).join(', ');
      const covered = `its children varied ${[...varied].sort().join(', ')}${key.size > 0 ? `, every parameter known to matter (${[...key].sort().join(', ')}) among them` : ''}`;
      prune.push({ nodeId: n.id, rule: 'children-falsified', reason: `the last ${recent.length} children of ${n.id} all failed or were rejected (${what}) and ${covered}; open a new direction elsewhere` });
    }

    const budget = budgetStatus(tree, now);
    const inFlight = running(tree).length + frontier(tree).length;
    let stop: RefinementDecision['stop'];
    if (budget.exhausted) {
      if (inFlight === 0 || budget.exhausted !== 'experiments') stop = { rule: 'budget', reason: `the ${budget.exhausted} budget is spent` };
    } else {
      const streak = experimentsSinceAdmission(tree);
      if (streak >= params.convergenceWindow && inFlight === 0) {
        stop = { rule: 'converged', reason: `${streak} experiments in a row without an admission` };
      }
    }
    return { policy: ref, prune, stop };
  };
  return { ...ref, params, decide };
}

/** The parameters a hypothesis changed (none for a free-form change). */
function changedParameters(n: TreeNode): string[] {
  const change = n.hypothesis?.change;
  return change?.kind === 'params' ? Object.keys(change.set) : [];
}

/** Parameters known to matter: changed alone by a hypothesis that was admitted, anywhere in the tree. */
export function parametersThatMatter(tree: SearchTree): Set<string> {
  const found = new Set<string>();
  for (const n of tree.nodes.values()) {
    const changed = changedParameters(n);
    if (n.decision?.admitted && changed.length === 1) found.add(changed[0]!);
  }
  return found;
}

/** How many experiments finished since the last admission, in the order they were decided. */
export function experimentsSinceAdmission(tree: SearchTree): number {
  let streak = 0;
  const decided = [...tree.nodes.values()]
    .filter((n) => n.id !== ROOT_NODE_ID && finished(n))
    .sort((a, b) => decidedAt(a) - decidedAt(b));
  for (let i = decided.length - 1; i >= 0 && !decided[i]!.decision?.admitted; i--) streak += 1;
  return streak;
}

function decidedAt(n: TreeNode): number {
  return n.decision?.revision ?? n.failure?.revision ?? 0;
}
