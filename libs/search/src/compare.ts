import { ROOT_NODE_ID, type NodeId, type RecordedSearchEvent } from '@hypotree/events';
import { configKey, effectiveParams } from '@hypotree/research';
import type { Parameter } from '@hypotree/task';
import { bestVerified, lineage, type SearchTree, type TreeNode } from '@hypotree/tree';

/** What a node came to: its outcome, the rule that decided it and why. */
export interface NodeOutcome {
  nodeId: NodeId;
  title: string;
  outcome: 'admitted' | 'rejected' | 'failed' | 'evaluated' | 'running' | 'proposed' | 'baseline';
  rule?: string;
  reason?: string;
  pruned?: string;
  /** Where its evidence came from when a replay reused it. */
  reusedFrom?: string;
}

/** What one search cost: everything it counted (as if it had run alone), and how much of it was reused from its family. */
export interface SearchCost {
  experiments: number;
  experimentsReused: number;
  gateEvaluations: number;
  gateEvaluationsReused: number;
  modelCalls: number;
  modelCallsReused: number;
  /** Tokens the search counted (its proposer, distiller and implementer), reused calls included. */
  tokens: number;
  tokensReused: number;
  /** Held-out test scores computed (baseline, and the best node unless it is the baseline). */
  testScores: number;
  testScoresReused: number;
}

/** One side of a comparison. */
export interface ComparedSearch {
  searchId: string;
  status: 'open' | 'completed' | 'done' | 'failed';
  bestNodeId: NodeId;
  bestTitle: string;
  /** The held-out relative gain of its best node over the baseline, with its 95% interval, once tested. */
  heldOut?: { gain: number; low?: number; high?: number; withinNoise?: boolean };
  policies: Record<string, { version: number; params: Record<string, unknown> }>;
  cost: SearchCost;
}

/** Two searches side by side: the nodes only one of them has, the decisions that differ, the best node and the cost of each. */
export interface SearchComparison {
  a: ComparedSearch;
  b: ComparedSearch;
  /** Nodes (by the artifact they test) that only one search has. */
  onlyInA: NodeOutcome[];
  onlyInB: NodeOutcome[];
  /** Nodes both have whose outcome, rule or pruning differs. */
  changed: { a: NodeOutcome; b: NodeOutcome }[];
  /** Nodes both have with the same outcome and rule. */
  same: number;
  /** The decisions of both in the order they were made are the same (proposals, admissions, pruning, the stop and the best node). */
  identical: boolean;
}

/**
 * What a node tests, independent of its id: with only parameter changes from the root, the
 * configuration; otherwise the chain of changes from the root. So the same experiment has the same
 * identity in a search, its branches and its replays, whatever its place in the tree.
 */
export function nodeIdentity(tree: SearchTree, nodeId: NodeId, space: readonly Parameter[]): string {
  if (nodeId === ROOT_NODE_ID) return 'baseline';
  const path = lineage(tree, nodeId).filter((n) => n.id !== ROOT_NODE_ID);
  if (path.every((n) => n.hypothesis?.change.kind === 'params')) return `config ${configKey(effectiveParams(tree, nodeId, space), space)}`;
  return `changes ${JSON.stringify(path.map((n) => n.hypothesis!.change))}`;
}

/** A node's outcome as a comparison shows it. */
export function nodeOutcome(node: TreeNode): NodeOutcome {
  const outcome: NodeOutcome['outcome'] =
    node.id === ROOT_NODE_ID ? 'baseline' : node.decision ? (node.decision.admitted ? 'admitted' : 'rejected') : node.failure ? 'failed' : node.status === 'evaluated' ? 'evaluated' : node.status === 'running' ? 'running' : 'proposed';
  const reused = node.result?.reusedFrom ?? node.failure?.reusedFrom;
  return {
    nodeId: node.id,
    title: node.hypothesis?.title ?? 'baseline',
    outcome,
    ...(node.decision ? { rule: node.decision.rule, reason: node.decision.reason } : node.failure ? { rule: node.failure.kind, reason: node.failure.detail.split('\n')[0]! } : {}),
    ...(node.pruned ? { pruned: `${node.pruned.rule}: ${node.pruned.reason}` } : {}),
    ...(reused ? { reusedFrom: reused.searchId } : {}),
  };
}

/** A search's cost, from its tree (see SearchCost). */
export function searchCost(tree: SearchTree): SearchCost {
  let experiments = 0;
  for (const n of tree.nodes.values()) if (n.id !== ROOT_NODE_ID && (n.result || n.failure)) experiments += 1;
  const t = tree.finalTest;
  return {
    experiments,
    experimentsReused: tree.reused.experiments,
    gateEvaluations: tree.gateEvaluationsUsed,
    gateEvaluationsReused: tree.reused.gateEvaluations,
    modelCalls: tree.modelCalls,
    modelCallsReused: tree.reused.modelCalls,
    tokens: tree.tokensUsed,
    tokensReused: tree.reused.modelTokens,
    testScores: t ? (t.best.nodeId === ROOT_NODE_ID ? 1 : 2) : 0,
    testScoresReused: tree.reused.testScores,
  };
}

function side(tree: SearchTree): ComparedSearch {
  const bestId = tree.completed?.bestNodeId ?? bestVerified(tree)?.id ?? ROOT_NODE_ID;
  const t = tree.finalTest;
  const status = tree.failed ? 'failed' : t ? 'done' : tree.completed ? 'completed' : 'open';
  const policies = Object.fromEntries(Object.entries(tree.started?.policies ?? {}).map(([k, p]) => [k, { version: p.version, params: p.params }]));
  return {
    searchId: tree.searchId,
    status,
    bestNodeId: bestId,
    bestTitle: tree.nodes.get(bestId)?.hypothesis?.title ?? 'baseline',
    ...(t ? { heldOut: { gain: t.relativeGain, ...(t.uncertainty ? { low: t.uncertainty.low, high: t.uncertainty.high, withinNoise: t.uncertainty.withinNoise } : {}) } } : {}),
    policies,
    cost: searchCost(tree),
  };
}

/** The decisions of a search in the order it made them: what a replay under the same policies must reproduce exactly. */
export function decisionSequence(history: readonly RecordedSearchEvent[], space: readonly Parameter[], tree: SearchTree): string[] {
  const id = (nodeId: NodeId) => nodeIdentity(tree, nodeId, space);
  const out: string[] = [];
  for (const e of history) {
    switch (e.type) {
      case 'HypothesisProposed':
        out.push(`propose ${id(e.data.nodeId)} under ${id(e.data.parentId)}`);
        break;
      case 'HypothesisAdmitted':
      case 'HypothesisRejected':
        out.push(`${e.type === 'HypothesisAdmitted' ? 'admit' : 'reject'} ${id(e.data.nodeId)} (${e.data.rule})`);
        break;
      case 'GateEvaluated':
      case 'GateFailed':
        out.push(`gate ${id(e.data.nodeId)}`);
        break;
      case 'NodePruned':
        out.push(`prune ${id(e.data.nodeId)} (${e.data.rule})`);
        break;
      case 'ExpansionExhausted':
        out.push(`exhausted ${id(e.data.nodeId)}`);
        break;
      case 'DistillationFailed':
        out.push(`no lesson after ${id(e.data.nodeId)}`);
        break;
      case 'SearchCompleted':
        out.push(`complete: ${e.data.reason}; best ${id(e.data.bestNodeId)}`);
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * Compares two searches of a task (a search and its replay, or two branches): nodes matched by what
 * they test (`nodeIdentity`), not by id, so the same experiment placed elsewhere in the tree is the
 * same node. `identical` compares the decision sequences themselves.
 */
export function compareSearches(
  a: { tree: SearchTree; history: readonly RecordedSearchEvent[] },
  b: { tree: SearchTree; history: readonly RecordedSearchEvent[] },
  space: readonly Parameter[],
): SearchComparison {
  const index = (tree: SearchTree) => {
    const byKey = new Map<string, TreeNode>();
    for (const node of tree.nodes.values()) {
      const key = nodeIdentity(tree, node.id, space);
      if (!byKey.has(key)) byKey.set(key, node);
    }
    return byKey;
  };
  const inA = index(a.tree);
  const inB = index(b.tree);
  const onlyInA: NodeOutcome[] = [];
  const onlyInB: NodeOutcome[] = [];
  const changed: SearchComparison['changed'] = [];
  let same = 0;
  for (const [key, node] of inA) {
    const other = inB.get(key);
    if (!other) {
      onlyInA.push(nodeOutcome(node));
      continue;
    }
    const [x, y] = [nodeOutcome(node), nodeOutcome(other)];
    if (x.outcome === y.outcome && x.rule === y.rule && x.pruned === y.pruned) same += 1;
    else changed.push({ a: x, b: y });
  }
  for (const [key, node] of inB) if (!inA.has(key)) onlyInB.push(nodeOutcome(node));
  const sequenceA = decisionSequence(a.history, space, a.tree);
  const sequenceB = decisionSequence(b.history, space, b.tree);
  const identical = sequenceA.length === sequenceB.length && sequenceA.every((d, i) => d === sequenceB[i]);
  return { a: side(a.tree), b: side(b.tree), onlyInA, onlyInB, changed, same, identical };
}

/**
 * What a whole family of searches actually paid for, each measurement once however many of its
 * searches reused it: experiments run, sealed gate calls, held-out test scores (the test set's use),
 * model calls made and their tokens.
 */
export function familySpend(members: readonly { history: readonly RecordedSearchEvent[] }[]) {
  const seen = new Set<string>();
  const spend = { searches: members.length, experiments: 0, gateEvaluations: 0, testScores: 0, modelCalls: 0, modelTokens: 0 };
  for (const { history } of members) {
    for (const e of history) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      if (e.type === 'ExperimentSucceeded' || (e.type === 'ExperimentFailed' && e.data.kind !== 'lease-expired' && e.data.kind !== 'cancelled')) spend.experiments += 1;
      else if ((e.type === 'GateEvaluated' || e.type === 'GateFailed') && !e.data.reusedFrom) spend.gateEvaluations += 1;
      else if (e.type === 'FinalTestEvaluated') {
        if (!e.data.baseline.reusedFrom) spend.testScores += 1;
        if (e.data.best.nodeId !== ROOT_NODE_ID && !e.data.best.reusedFrom) spend.testScores += 1;
      } else if (e.type === 'ModelCalled' && !e.data.reusedFrom) {
        spend.modelCalls += 1;
        spend.modelTokens += e.data.usage.promptTokens + e.data.usage.completionTokens;
      }
    }
  }
  return spend;
}
export type FamilySpend = ReturnType<typeof familySpend>;
