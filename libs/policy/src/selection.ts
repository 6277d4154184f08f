import { ROOT_NODE_ID, type NodeId } from '@hypotree/events';
import { admitted, devScore, frontier, lineage, type SearchTree, type TreeNode } from '@hypotree/tree';
import { z } from 'zod';
import { policyRef, type Reasoned } from './decision.js';
import { seededRandom } from './random.js';

/** Run a pending node, expand an admitted node with new proposals, or nothing (no node can be expanded). */
export type SelectionDecision = Reasoned &
  ({ kind: 'run'; nodeId: NodeId } | { kind: 'expand'; parentId: NodeId; count: number } | { kind: 'none' });

export const SelectionParamsSchema = z.object({
  strategy: z.enum(['best-first', 'greedy', 'random', 'flat']).default('best-first'),
  /** Weight of the exploration bonus in best-first (UCB over rank-normalised dev scores). */
  exploration: z.number().nonnegative().default(0.5),
  /** Hypotheses asked of the proposer per expansion. */
  branching: z.number().int().positive().default(2),
  /**
   * The root is expanded until it has this many children before any other node is: an initial
   * design of new directions, so the search does not commit to the first admitted branch.
   */
  initialDesign: z.number().int().nonnegative().default(8),
  /** An admitted node (other than the root, where new directions open) with this many children is no longer expanded. */
  maxChildren: z.number().int().positive().default(8),
  /**
   * Weight of the lineage balance in best-first (0: off, as before it existed): a node's value loses
   * this times the share of the tree's nodes under its direction (the root's child it descends
   * from), so one direction does not take every expansion while other admitted directions wait.
   */
  lineageBalance: z.number().nonnegative().default(0),
  /**
   * Weight of a node's decided children against its dev rank in best-first (0: the rank alone, as in
   * selection before version 3). The exploitation term is then the node's estimated chance that a
   * child is admitted, `(rank + w × admitted children) / (1 + w × decided children)`: the rank is a
   * prior worth 1/w children, so a node whose children keep being refused yields its turns to other
   * admitted nodes instead of taking every expansion because its dev score is the best.
   */
  childEvidence: z.number().nonnegative().default(0.5),
});
export type SelectionParams = z.infer<typeof SelectionParamsSchema>;

/** Which frontier node to run next, or where to expand: a pure function of the tree and the parameters. */
export function selectionPolicy(input: Partial<SelectionParams> = {}) {
  const params = SelectionParamsSchema.parse(input);
  // Version 2: the random strategy's draw is keyed by the tree's content, not its revision.
  // Version 3: best-first weighs a node's decided children against its rank (`childEvidence`).
  const ref = policyRef({ name: 'selection', version: 3, params });
  const decide = (tree: SearchTree): SelectionDecision => {
    const pending = frontier(tree);
    if (pending.length > 0) {
      const next = params.strategy === 'best-first' || params.strategy === 'greedy' ? bestParentFirst(tree, pending) : pending[0]!;
      return { policy: ref, kind: 'run', nodeId: next.id, rule: 'frontier-first', reason: `run pending node ${next.id}` };
    }
    const candidates = params.strategy === 'flat' ? [tree.nodes.get(ROOT_NODE_ID)!] : admitted(tree);
    const open = candidates.filter((n) => !n.exhausted && (n.id === ROOT_NODE_ID || n.children.length < params.maxChildren));
    if (open.length === 0) {
      return { policy: ref, kind: 'none', rule: 'nothing-to-expand', reason: 'every admitted node is pruned, exhausted or has its maximum of children' };
    }
    const root = tree.nodes.get(ROOT_NODE_ID)!;
    if (params.strategy !== 'flat' && root.children.length < params.initialDesign && !root.pruned && !root.exhausted) {
      const reason = `the root has ${root.children.length} of the ${params.initialDesign} directions of the initial design`;
      return { policy: ref, kind: 'expand', parentId: ROOT_NODE_ID, count: Math.min(params.branching, params.initialDesign - root.children.length), rule: 'initial-design', reason };
    }
    const parent = choose(tree, open, params);
    return { policy: ref, kind: 'expand', parentId: parent.node.id, count: params.branching, rule: parent.rule, reason: parent.reason };
  };
  return { ...ref, params, decide };
}

function bestParentFirst(tree: SearchTree, pending: TreeNode[]): TreeNode {
  const parentScore = (n: TreeNode) => devScore(tree, tree.nodes.get(n.parentId!)!) ?? -Infinity;
  return pending.reduce((best, n) => (parentScore(n) > parentScore(best) ? n : best));
}

function choose(tree: SearchTree, open: TreeNode[], params: SelectionParams): { node: TreeNode; rule: string; reason: string } {
  switch (params.strategy) {
    case 'flat':
      return { node: open[0]!, rule: 'flat', reason: 'flat search: every hypothesis is a child of the root' };
    case 'random': {
      // Keyed by the tree's content, not its revision: executor heartbeats must not change the draw.
      const decided = [...tree.nodes.values()].filter((n) => n.decision || n.failure).length;
      const draw = seededRandom(tree.started?.seed ?? 0, tree.nodes.size, decided)();
      const node = open[Math.floor(draw * open.length)]!;
      return { node, rule: 'uniform-random', reason: `drew ${node.id} uniformly from ${open.length} admitted nodes` };
    }
    case 'greedy': {
      const node = open.reduce((best, n) => ((devScore(tree, n) ?? -Infinity) > (devScore(tree, best) ?? -Infinity) ? n : best));
      return { node, rule: 'greedy-best', reason: `${node.id} has the best dev score among open admitted nodes` };
    }
    case 'best-first':
      return upperConfidence(tree, open, params);
  }
}

// UCB1 over rank-normalised dev scores (scale-free across metrics), the rank updated by the node's
// children's outcomes: (rank + w·admitted)/(1 + w·decided) + c·sqrt(ln N / (children + 1)), less
// `balance` times the share of the tree's nodes under the node's direction.
function upperConfidence(tree: SearchTree, open: TreeNode[], params: SelectionParams): { node: TreeNode; rule: string; reason: string } {
  const { exploration: c, lineageBalance: balance, childEvidence: w } = params;
  const sorted = [...open].sort((a, b) => (devScore(tree, a) ?? -Infinity) - (devScore(tree, b) ?? -Infinity));
  const rank = new Map(sorted.map((n, i) => [n.id, sorted.length > 1 ? i / (sorted.length - 1) : 1]));
  const total = open.reduce((sum, n) => sum + n.children.length, 0);
  const share = balance > 0 ? directionShares(tree) : new Map<NodeId, number>();
  const shareOf = (n: TreeNode) => share.get(direction(tree, n)) ?? 0;
  const exploit = (n: TreeNode) => {
    const { admitted, decided } = w > 0 ? childRecord(tree, n) : { admitted: 0, decided: 0 };
    return { admitted, decided, value: (rank.get(n.id)! + w * admitted) / (1 + w * decided) };
  };
  let best = open[0]!;
  let bestValue = -Infinity;
  let bestBonus = 0;
  for (const n of open) {
    const bonus = c * Math.sqrt(Math.log(total + 1) / (n.children.length + 1));
    const value = exploit(n).value + bonus - balance * shareOf(n);
    if (value > bestValue) [best, bestValue, bestBonus] = [n, value, bonus];
  }
  const record = exploit(best);
  const recorded = w > 0 && record.decided > 0 ? ` (${record.admitted} of ${record.decided} decided children admitted: ${record.value.toFixed(2)})` : '';
  const balanced = balance > 0 ? ` − balance ${(balance * shareOf(best)).toFixed(2)} (direction ${direction(tree, best)} holds ${(shareOf(best) * 100).toFixed(0)}% of the nodes)` : '';
  const reason = `${best.id}: rank ${rank.get(best.id)!.toFixed(2)}${recorded} + exploration ${bestBonus.toFixed(2)}${balanced} is the highest of ${open.length} open admitted nodes`;
  return { node: best, rule: 'ucb', reason };
}

// Refusals that say nothing of the candidate: the gate budget was kept for later or spent.
const NOT_ON_MERIT = new Set(['gate-reserved', 'gate-budget-exhausted']);

/**
 * A node's children that were decided on their merits: admitted ones, and those refused or failed
 * (a refusal for want of gate budget is not counted either way; undecided children are not counted).
 */
function childRecord(tree: SearchTree, node: TreeNode): { admitted: number; decided: number } {
  let admitted = 0;
  let decided = 0;
  for (const id of node.children) {
    const child = tree.nodes.get(id);
    if (!child) continue;
    if (child.decision?.admitted) admitted += 1;
    if (child.decision?.admitted || child.failure || (child.decision && !NOT_ON_MERIT.has(child.decision.rule))) decided += 1;
  }
  return { admitted, decided };
}

// The direction a node belongs to: the root's child on its lineage (the root is its own).
function direction(tree: SearchTree, n: TreeNode): NodeId {
  return lineage(tree, n.id)[1]?.id ?? ROOT_NODE_ID;
}

// The share of the tree's non-root nodes under each direction.
function directionShares(tree: SearchTree): Map<NodeId, number> {
  const counts = new Map<NodeId, number>();
  let total = 0;
  for (const n of tree.nodes.values()) {
    if (n.id === ROOT_NODE_ID) continue;
    const d = direction(tree, n);
    counts.set(d, (counts.get(d) ?? 0) + 1);
    total += 1;
  }
  return new Map([...counts].map(([d, k]) => [d, k / total]));
}
