import type { NodeId } from '@hypotree/events';
import { devGroups, typicalNoise } from '@hypotree/policy';
import type { Parameter, ParameterValue } from '@hypotree/task';
import { devScore, type SearchTree, type TreeNode } from '@hypotree/tree';
import { effectiveParams, formatValue } from '../space.js';

/** What a decided change did relative to its parent: admitted, rejected without loss, or failed / scored worse. */
export type Outcome = 'helped' | 'flat' | 'hurt';

/** One parameter a hypothesis moved: from the parent's value to the new one (direction for numbers). */
export interface ParamMove {
  param: string;
  from: ParameterValue;
  to: ParameterValue;
  direction?: 1 | -1;
}

/** The evidence one decided node gives about the parameters it changed. */
export interface Observation {
  nodeId: NodeId;
  parentId: NodeId;
  outcome: Outcome;
  /** Oriented dev score of the node minus its parent's (absent on a failure). */
  delta?: number;
  moves: ParamMove[];
  /** Event ids of the result (or failure) and the decision used. */
  evidence: string[];
  /** A few words for a lesson's text: "crash", "−0.05", "+0.03". */
  label: string;
  /** `gate`: a failure, or an outcome decided with the sealed gate's evidence; `dev`: decided on dev scores alone. */
  basis: 'gate' | 'dev';
  /**
   * One parameter moved and nothing else: the parent is the control, so the outcome can be credited
   * to that parameter. With several moves the outcome is only correlated with each of them.
   */
  isolated: boolean;
  /** Not admitted, and the dev difference from the parent is within twice its noise: the move changed nothing measurable. */
  noEffect: boolean;
}

// The typical run-to-run variance of a tree's dev scores, computed once per tree snapshot (trees are immutable).
const varianceOf = new WeakMap<SearchTree, number>();
function devVariance(tree: SearchTree): number {
  let v = varianceOf.get(tree);
  if (v === undefined) {
    v = typicalNoise(devGroups(tree)).variance;
    varianceOf.set(tree, v);
  }
  return v;
}

// Observations of one tree snapshot, per space and node: a proposer or distiller asks for the same
// node's many times in one step (once per scope holding it), and trees never change once built.
const observed = new WeakMap<SearchTree, WeakMap<readonly Parameter[], Map<TreeNode, Observation | undefined>>>();

/** The observation a node gives, or undefined while it is undecided, changed no declared parameter, or failed for a reason unrelated to its params. */
export function observe(tree: SearchTree, n: TreeNode, space: readonly Parameter[]): Observation | undefined {
  let bySpace = observed.get(tree);
  if (!bySpace) observed.set(tree, (bySpace = new WeakMap()));
  let byNode = bySpace.get(space);
  if (!byNode) bySpace.set(space, (byNode = new Map()));
  if (byNode.has(n)) return byNode.get(n);
  const o = observeNode(tree, n, space);
  byNode.set(n, o);
  return o;
}

function observeNode(tree: SearchTree, n: TreeNode, space: readonly Parameter[]): Observation | undefined {
  const change = n.hypothesis?.change;
  if (!n.parentId || change?.kind !== 'params') return undefined;
  const parent = tree.nodes.get(n.parentId);
  if (!parent) return undefined;
  const before = effectiveParams(tree, parent.id, space);
  const moves: ParamMove[] = [];
  for (const p of space) {
    const to = change.set[p.name];
    const from = before[p.name];
    if (to === undefined || from === undefined || to === from) continue;
    const direction = typeof to === 'number' && typeof from === 'number' ? (to > from ? 1 : -1) : undefined;
    moves.push(direction === undefined ? { param: p.name, from, to } : { param: p.name, from, to, direction });
  }
  if (moves.length === 0) return undefined;
  const base = { nodeId: n.id, parentId: parent.id, moves, isolated: moves.length === 1 };
  if (n.failure) {
    if (n.failure.kind === 'refused' || n.failure.kind === 'lease-expired' || n.failure.kind === 'cancelled') return undefined;
    return { ...base, outcome: 'hurt', evidence: [n.failure.eventId], label: n.failure.kind, basis: 'gate', noEffect: false };
  }
  if (!n.result || !n.decision) return undefined;
  const mine = devScore(tree, n);
  const theirs = devScore(tree, parent);
  const delta = mine !== undefined && theirs !== undefined ? mine - theirs : undefined;
  const outcome: Outcome = n.decision.admitted ? 'helped' : delta !== undefined && delta < 0 ? 'hurt' : 'flat';
  const label = delta === undefined ? (n.decision.admitted ? 'admitted' : 'rejected') : `${delta >= 0 ? '+' : '−'}${formatValue(Math.abs(delta))}`;
  const basis = n.gate || n.gateFailure ? 'gate' : 'dev';
  const se = Math.sqrt(devVariance(tree) * (1 / n.result.runs.length + 1 / Math.max(1, parent.result?.runs.length ?? 1)));
  const noEffect = !n.decision.admitted && delta !== undefined && Math.abs(delta) <= 2 * se;
  return { ...base, outcome, evidence: [n.result.eventId, n.decision.eventId], label, basis, noEffect, ...(delta === undefined ? {} : { delta }) };
}

/** Observations of every decided node in the subtree under a node (the node itself excluded), in id order. */
export function observationsUnder(tree: SearchTree, id: NodeId, space: readonly Parameter[]): Observation[] {
  const found: Observation[] = [];
  const walk = (nodeId: NodeId): void => {
    for (const child of tree.nodes.get(nodeId)?.children ?? []) {
      const o = observe(tree, tree.nodes.get(child)!, space);
      if (o) found.push(o);
      walk(child);
    }
  };
  walk(id);
  return found;
}
