import { ROOT_NODE_ID, type NodeId } from '@hypotree/events';
import type { Insight, SearchTree, TreeNode } from './model.js';
import { orient } from './stats.js';

/** The node with this id, or undefined. */
export function node(tree: SearchTree, id: NodeId): TreeNode | undefined {
  return tree.nodes.get(id);
}

/** The root node (the baseline artifact); throws before SearchStarted. */
export function root(tree: SearchTree): TreeNode {
  const found = tree.nodes.get(ROOT_NODE_ID);
  if (!found) throw new Error(`search ${tree.searchId || '(none)'} has no root: it has not started`);
  return found;
}

/** The children of a node, in proposal order. */
export function children(tree: SearchTree, id: NodeId): TreeNode[] {
  return (tree.nodes.get(id)?.children ?? []).map((child) => tree.nodes.get(child)!);
}

/** The path from the root to a node, both included. */
export function lineage(tree: SearchTree, id: NodeId): TreeNode[] {
  const path: TreeNode[] = [];
  for (let current = tree.nodes.get(id); current; current = current.parentId ? tree.nodes.get(current.parentId) : undefined) {
    path.push(current);
  }
  return path.reverse();
}

/** Whether a node or one of its ancestors was pruned. */
export function isPruned(tree: SearchTree, id: NodeId): boolean {
  return lineage(tree, id).some((n) => n.pruned);
}

/** Pending leaves: proposed nodes not yet dispatched (or back after an expired lease), outside pruned subtrees. */
export function frontier(tree: SearchTree): TreeNode[] {
  return [...tree.nodes.values()].filter((n) => n.status === 'proposed' && !isPruned(tree, n.id));
}

/** Nodes with an experiment in flight. */
export function running(tree: SearchTree): TreeNode[] {
  return [...tree.nodes.values()].filter((n) => n.status === 'running');
}

/** Admitted nodes (the root counts once its baseline is measured), outside pruned subtrees. */
export function admitted(tree: SearchTree): TreeNode[] {
  return [...tree.nodes.values()].filter((n) => n.status === 'admitted' && !isPruned(tree, n.id));
}

/** The oriented (larger is better) mean dev score of a node that has one. */
export function devScore(tree: SearchTree, n: TreeNode): number | undefined {
  return n.result && tree.objective ? orient(n.result.mean, tree.objective.direction) : undefined;
}

/** The admitted node with the best dev score (ties go to the earlier node); the root when nothing else was admitted. */
export function bestAdmitted(tree: SearchTree): TreeNode | undefined {
  let best: TreeNode | undefined;
  for (const n of tree.nodes.values()) {
    if (n.status !== 'admitted') continue;
    if (!best || (devScore(tree, n) ?? -Infinity) > (devScore(tree, best) ?? -Infinity)) best = n;
  }
  return best;
}

/**
 * The best admitted node on held-out evidence: the best gate score among admitted nodes that have
 * one (dev breaks ties); the best on dev when none was gated (a dev-only search). Dev alone would
 * reward whatever overfits the dev data.
 */
export function bestVerified(tree: SearchTree): TreeNode | undefined {
  const direction = tree.objective?.direction ?? 'maximize';
  // Every admitted node counts, pruned ones too: pruning stops expanding a node, it does not undo its result.
  const gated = [...tree.nodes.values()].filter((n) => n.status === 'admitted' && n.gate);
  if (gated.length === 0) return bestAdmitted(tree);
  const key = (n: TreeNode) => [orient(n.gate!.mean, direction), orient(n.result?.mean ?? -Infinity, direction)] as const;
  return gated.reduce((best, n) => {
    const [g, d] = key(n);
    const [bg, bd] = key(best);
    return g > bg || (g === bg && d > bd) ? n : best;
  });
}

/** The nearest admitted ancestor of a node (the node itself excluded), whose dev score a child is compared with. */
export function admittedAncestor(tree: SearchTree, id: NodeId): TreeNode | undefined {
  const path = lineage(tree, id).slice(0, -1).reverse();
  return path.find((n) => n.status === 'admitted');
}

/** Active insights that bear on a node: global ones, and those attached to the node or its ancestors. */
export function insightsOnPath(tree: SearchTree, id: NodeId): Insight[] {
  const path = new Set(lineage(tree, id).map((n) => n.id));
  return [...tree.insights.values()].filter(
    (i) => i.active && (i.scope === 'global' || (path.has(i.nodeId) && (i.scope === 'subtree' || i.nodeId === id))),
  );
}

/** Counts a person or a report wants: experiments finished, failures, admissions, gate calls. */
export function searchCounts(tree: SearchTree) {
  let experiments = 0;
  let failed = 0;
  let admittedCount = 0;
  let rejected = 0;
  for (const n of tree.nodes.values()) {
    if (n.id === ROOT_NODE_ID) continue;
    if (n.result || n.failure) experiments += 1;
    if (n.failure) failed += 1;
    if (n.decision?.admitted) admittedCount += 1;
    if (n.decision && !n.decision.admitted) rejected += 1;
  }
  return {
    nodes: tree.nodes.size,
    experiments,
    failed,
    admitted: admittedCount,
    rejected,
    gateEvaluations: tree.gateEvaluationsUsed,
    insights: tree.insights.size,
    tokens: tree.tokensUsed,
  };
}

/**
 * Where a search stands: `failed` (SearchFailed: an evaluation it cannot do without failed), `done`
 * (completed and tested once), `completed` (stopped, the held-out test still to compute) or `open`
 * (resumable). A failed search is never open.
 */
export type SearchStatus = 'failed' | 'done' | 'completed' | 'open';

export function searchStatus(tree: SearchTree): SearchStatus {
  if (tree.failed) return 'failed';
  if (tree.finalTest) return 'done';
  return tree.completed ? 'completed' : 'open';
}
