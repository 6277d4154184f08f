import { bestVerified } from './queries.js';
import type { SearchTree } from './model.js';

/**
 * The tree as plain data, one entry per node (what it tests, its status, scores, decision, failure,
 * children) and the insights: what `hypotree tree --json` prints and the dashboard's API serves.
 * `best` is the node the search chose, else the best verified so far.
 */
export function treeView(tree: SearchTree) {
  const best = tree.completed?.bestNodeId ?? bestVerified(tree)?.id;
  return {
    searchId: tree.searchId,
    revision: tree.revision,
    best: best ?? null,
    status: tree.failed ? 'failed' : tree.finalTest ? 'done' : tree.completed ? 'completed' : 'open',
    gate: { used: tree.gateEvaluationsUsed, budget: tree.started?.budget.gateEvaluations ?? null },
    nodes: [...tree.nodes.values()].map((n) => ({
      id: n.id,
      parentId: n.parentId,
      title: n.hypothesis?.title ?? 'baseline',
      change: n.hypothesis?.change ?? null,
      status: n.status,
      pruned: Boolean(n.pruned),
      best: n.id === best,
      dev: n.result ? { mean: n.result.mean, stdev: n.result.stdev, runs: n.result.runs.length } : null,
      gate: n.gate ? { mean: n.gate.mean, stdev: n.gate.stdev, runs: n.gate.runs.length } : null,
      decision: n.decision ? { admitted: n.decision.admitted, rule: n.decision.rule } : null,
      failure: n.failure ? { kind: n.failure.kind, detail: n.failure.detail } : null,
      reusedFrom: n.result?.reusedFrom?.searchId ?? n.failure?.reusedFrom?.searchId ?? null,
      children: n.children,
    })),
    insights: [...tree.insights.values()].map((i) => ({ id: i.id, nodeId: i.nodeId, kind: i.kind, scope: i.scope, text: i.text, active: i.active })),
  };
}
export type TreeView = ReturnType<typeof treeView>;
