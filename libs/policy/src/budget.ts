import { ROOT_NODE_ID } from '@hypotree/events';
import type { SearchTree } from '@hypotree/tree';

/** How much of each budget a search has spent and has left. */
export interface BudgetStatus {
  experimentsUsed: number;
  experimentsLeft: number;
  gateEvaluationsLeft: number;
  tokensLeft: number;
  wallClockLeftMs: number;
  /** Set when some budget is spent: which one. */
  exhausted?: 'experiments' | 'wall-clock' | 'tokens';
}

/** How many experiments a search has spent: nodes dispatched at least once (re-dispatches are free). */
export function experimentsUsed(tree: SearchTree): number {
  let used = 0;
  for (const n of tree.nodes.values()) if (n.id !== ROOT_NODE_ID && n.experiments.length > 0) used += 1;
  return used;
}

/** The budget status of a search at a given time (experiments count nodes dispatched at least once). */
export function budgetStatus(tree: SearchTree, now: Date): BudgetStatus {
  const budget = tree.started?.budget;
  if (!budget) throw new Error('budgetStatus: the search has not started');
  const used = experimentsUsed(tree);
  const elapsed = tree.startedAt ? now.getTime() - Date.parse(tree.startedAt) : 0;
  const status: BudgetStatus = {
    experimentsUsed: used,
    experimentsLeft: Math.max(0, budget.experiments - used),
    gateEvaluationsLeft: Math.max(0, budget.gateEvaluations - tree.gateEvaluationsUsed),
    tokensLeft: budget.tokens === undefined ? Infinity : Math.max(0, budget.tokens - tree.tokensUsed),
    wallClockLeftMs: budget.wallClockMs === undefined ? Infinity : Math.max(0, budget.wallClockMs - elapsed),
  };
  if (status.experimentsLeft === 0) status.exhausted = 'experiments';
  else if (status.wallClockLeftMs === 0) status.exhausted = 'wall-clock';
  else if (status.tokensLeft === 0) status.exhausted = 'tokens';
  return status;
}
