import type { SearchTree, TreeNode } from '@hypotree/tree';

/** Experiments dispatched or started and not yet finished: the executors' slots in use. */
export function inFlight(tree: SearchTree): { node: TreeNode; experimentId: string; eventId: string }[] {
  const out: { node: TreeNode; experimentId: string; eventId: string }[] = [];
  for (const node of tree.nodes.values()) {
    for (const e of node.experiments) if (e.state === 'dispatched' || e.state === 'started') out.push({ node, experimentId: e.experimentId, eventId: e.eventId });
  }
  return out;
}
