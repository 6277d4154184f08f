import { ROOT_NODE_ID, type NodeId, type RecordedSearchEvent, type SearchEventOf } from '@hypotree/events';
import type { ExperimentAttempt, SearchTree, TreeNode } from './model.js';
import { summarize } from './stats.js';

/** An event that cannot follow the events before it; names the stream, revision and why. */
export class ProjectionError extends Error {
  constructor(
    readonly streamId: string,
    readonly revision: number,
    readonly eventType: string,
    detail: string,
  ) {
    super(`${streamId}@${revision} (${eventType}): ${detail}`);
    this.name = 'ProjectionError';
  }
}

/** The tree before any event: no search yet. */
export function emptyTree(searchId = ''): SearchTree {
  return {
    searchId,
    revision: -1,
    nodes: new Map(),
    insights: new Map(),
    experiments: new Map(),
    gateEvaluationsUsed: 0,
    tokensUsed: 0,
    reused: { experiments: 0, gateEvaluations: 0, devEvaluations: 0, modelCalls: 0, modelTokens: 0, testScores: 0 },
    modelCalls: 0,
    distillationsFailed: [],
  };
}

/** A copy that shares node objects with its source; the fold copies a node before it first changes it. */
function cloneTree(tree: SearchTree): SearchTree {
  return { ...tree, nodes: new Map(tree.nodes), insights: new Map(tree.insights), experiments: new Map(tree.experiments), reused: { ...tree.reused } };
}

/**
 * One fold in progress: the tree it builds and the nodes it owns. A node of the starting tree is
 * copied the first time an event changes it (copy-on-write); a node this fold created or copied is
 * changed in place. So trees returned earlier are never touched, and a long fold allocates little.
 */
class Fold {
  private readonly owned = new Set<TreeNode>();

  constructor(readonly tree: SearchTree) {}

  /** A node this fold may change in place. */
  own(node: TreeNode): TreeNode {
    if (this.owned.has(node)) return node;
    const copy = { ...node, children: [...node.children], experiments: [...node.experiments], insights: [...node.insights] };
    this.owned.add(copy);
    this.tree.nodes.set(copy.id, copy);
    return copy;
  }

  /** Adds a node created by this fold. */
  add(node: TreeNode): void {
    this.owned.add(node);
    this.tree.nodes.set(node.id, node);
  }
}

/** Applies one event to a tree and returns the new tree; the input is left as it was. */
export function evolve(tree: SearchTree, event: RecordedSearchEvent): SearchTree {
  return fold([event], tree);
}

/** Folds events (in stream order) onto a tree, from empty or from a given tree (e.g. a parent search for a branch). */
export function fold(events: Iterable<RecordedSearchEvent>, from: SearchTree = emptyTree()): SearchTree {
  const state = new Fold(cloneTree(from));
  for (const event of events) apply(state, event);
  return state.tree;
}

/** Folds only the events up to and including `revision`: the tree as it stood then. */
export function foldUntil(events: Iterable<RecordedSearchEvent>, revision: number, from: SearchTree = emptyTree()): SearchTree {
  const state = new Fold(cloneTree(from));
  for (const event of events) {
    if (event.revision > revision) break;
    apply(state, event);
  }
  return state.tree;
}

// The reducer. Illegal sequences throw ProjectionError naming the stream and revision.
function apply(state: Fold, event: RecordedSearchEvent): void {
  const { tree } = state;
  const fail = (detail: string): never => {
    throw new ProjectionError(event.streamId, event.revision, event.type, detail);
  };
  const nodeOf = (id: NodeId): TreeNode => tree.nodes.get(id) ?? fail(`unknown node ${id}`);
  const attemptOf = (experimentId: string, nodeId: NodeId) => {
    if (tree.experiments.get(experimentId) !== nodeId) fail(`unknown experiment ${experimentId} for node ${nodeId}`);
    const node = nodeOf(nodeId);
    const index = node.experiments.findIndex((e) => e.experimentId === experimentId);
    return { node, index, attempt: node.experiments[index]! };
  };

  if (event.type !== 'SearchStarted' && event.type !== 'SearchBranched' && !tree.started) {
    fail('the search has not started: the first event of a stream must be SearchStarted or SearchBranched');
  }
  if (tree.failed) fail(`the search failed (${tree.failed.reason}): nothing follows SearchFailed`);
  if (tree.completed && event.type !== 'FinalTestEvaluated' && event.type !== 'SearchFailed') fail('the search is already completed');

  switch (event.type) {
    case 'SearchStarted': {
      if (tree.started) fail('the search was already started');
      tree.searchId = event.data.searchId;
      tree.started = event.data;
      tree.startedAt = event.metadata.at;
      tree.objective = event.data.task.objective;
      state.add(newNode(ROOT_NODE_ID, null, 0, undefined, 'running'));
      break;
    }
    case 'SearchBranched': {
      if (!tree.started) fail('a branch must be folded onto its parent search (fold the parent up to the branch revision first)');
      if (tree.searchId !== event.data.parent.searchId) {
        fail(`branch names parent ${event.data.parent.searchId} but the tree is of ${tree.searchId}`);
      }
      const policies = { ...tree.started!.policies, ...event.data.policies };
      tree.started = { ...tree.started!, searchId: event.data.searchId, policies };
      tree.searchId = event.data.searchId;
      tree.branchedFrom = { ...event.data.parent, reason: event.data.reason };
      tree.startedAt = event.metadata.at;
      break;
    }
    case 'BaselineMeasured': {
      const root = nodeOf(ROOT_NODE_ID);
      if (root.result) fail('the baseline was already measured');
      const report = { summary: 'baseline artifact', filesChanged: [], insertions: 0, deletions: 0 };
      const node = state.own(root);
      node.status = 'admitted';
      node.result = { ...summarize(event.data.runs), experimentId: 'baseline', commit: event.data.commit, ref: '', report, integrity: event.data.integrity, eventId: event.id, reusedFrom: event.data.reusedFrom };
      if (event.data.reusedFrom) tree.reused.devEvaluations += 1;
      break;
    }
    case 'HypothesisProposed':
      proposed(state, event, nodeOf, fail);
      break;
    case 'ExperimentDispatched': {
      const { nodeId, experimentId } = event.data;
      const current = nodeOf(nodeId);
      if (tree.experiments.has(experimentId)) fail(`experiment ${experimentId} was already dispatched`);
      if (current.result || current.failure || current.decision) fail(`node ${nodeId} already has its evidence`);
      if (current.experiments.some((e) => e.state === 'dispatched' || e.state === 'started')) {
        fail(`node ${nodeId} already has an experiment in flight`);
      }
      tree.experiments.set(experimentId, nodeId);
      const node = state.own(current);
      node.status = 'running';
      const { attempt, baseCommit, leaseMs } = event.data;
      node.experiments.push({ experimentId, attempt, baseCommit, state: 'dispatched', executorId: undefined, dispatchedAt: event.metadata.at, leaseMs, eventId: event.id, revision: event.revision });
      break;
    }
    case 'ExperimentStarted': {
      const { node: current, index, attempt } = attemptOf(event.data.experimentId, event.data.nodeId);
      if (attempt.state !== 'dispatched') fail(`experiment ${attempt.experimentId} is ${attempt.state}, not dispatched`);
      state.own(current).experiments[index] = withState(attempt, 'started', event.data.executorId);
      break;
    }
    case 'ExperimentSucceeded': {
      const { node: current, index, attempt } = attemptOf(event.data.experimentId, event.data.nodeId);
      if (current.result || current.failure) fail(`node ${current.id} already has a result: a second result is never recorded`);
      if (attempt.state === 'succeeded' || attempt.state === 'failed') fail(`experiment ${attempt.experimentId} already finished`);
      const { experimentId, commit, ref, report, runs } = event.data;
      tree.tokensUsed += tokens(event.data.implementation?.usage);
      const node = state.own(current);
      node.experiments[index] = withState(attempt, 'succeeded');
      node.status = 'evaluated';
      const scores = summarize(runs);
      const integrity = event.data.integrity ?? (event.data.sandbox === undefined ? undefined : { sandbox: event.data.sandbox });
      node.result = { runs: scores.runs, mean: scores.mean, stdev: scores.stdev, experimentId, commit, ref, report, integrity, eventId: event.id };
      break;
    }
    case 'ExperimentReused': {
      const { experimentId, nodeId, source, outcome } = event.data;
      if (outcome.data.experimentId !== experimentId || outcome.data.nodeId !== nodeId) {
        fail(`the reused outcome names ${outcome.data.experimentId} of node ${outcome.data.nodeId}, not ${experimentId} of node ${nodeId}`);
      }
      if (outcome.type === 'ExperimentFailed' && (outcome.data.kind === 'lease-expired' || outcome.data.kind === 'cancelled')) {
        fail(`a ${outcome.data.kind} outcome says nothing about the experiment and is never reused`);
      }
      // Applied as the outcome it repeats, under this event's id and revision; then marked as reused.
      apply(state, { ...event, type: outcome.type, data: outcome.data } as RecordedSearchEvent);
      const node = state.own(nodeOf(nodeId));
      const reusedFrom = { searchId: source.searchId, eventId: source.eventId };
      if (node.result) node.result = { ...node.result, reusedFrom };
      if (node.failure) node.failure = { ...node.failure, reusedFrom };
      tree.reused.experiments += 1;
      break;
    }
    case 'ModelCalled':
      nodeOf(event.data.nodeId);
      tree.modelCalls += 1;
      if (event.data.reusedFrom) {
        tree.reused.modelCalls += 1;
        tree.reused.modelTokens += tokens(event.data.usage);
      }
      break;
    case 'ExperimentRepeated': {
      const current = nodeOf(event.data.nodeId);
      const result = current.result ?? fail(`node ${current.id} has no result to repeat`);
      if (result.commit !== event.data.commit) fail(`repeat ran on ${event.data.commit}, node ${current.id} is ${result.commit}`);
      if (current.decision) fail(`node ${current.id} was already decided: repeats come before the decision`);
      const seen = new Set(result.runs.map((r) => r.seed));
      if (event.data.runs.some((r) => seen.has(r.seed))) fail(`repeat of node ${current.id} reuses a seed it already ran`);
      const scores = summarize([...result.runs, ...event.data.runs]);
      state.own(current).result = { ...result, runs: scores.runs, mean: scores.mean, stdev: scores.stdev };
      if (event.data.reusedFrom) tree.reused.devEvaluations += 1;
      break;
    }
    case 'ExperimentFailed': {
      const { node: current, index, attempt } = attemptOf(event.data.experimentId, event.data.nodeId);
      if (current.result || current.failure) fail(`node ${current.id} already has a result: a second result is never recorded`);
      if (attempt.state === 'succeeded' || attempt.state === 'failed') fail(`experiment ${attempt.experimentId} already finished`);
      tree.tokensUsed += tokens(event.data.implementation?.usage);
      const node = state.own(current);
      node.experiments[index] = withState(attempt, 'failed');
      if (event.data.kind === 'lease-expired') {
        // The node goes back to the frontier; a new attempt will be dispatched.
        node.status = 'proposed';
      } else {
        node.status = 'failed';
        node.failure = { experimentId: attempt.experimentId, revision: event.revision, kind: event.data.kind, detail: event.data.detail, eventId: event.id };
      }
      break;
    }
    case 'GateEvaluated':
    case 'GateFailed': {
      const current = nodeOf(event.data.nodeId);
      if (!current.result) fail(`node ${current.id} has no successful experiment to gate`);
      if (current.result!.commit !== event.data.commit) fail(`gate ran on ${event.data.commit}, node ${current.id} is ${current.result!.commit}`);
      const { reusedFrom, extendsGate } = event.data;
      if (current.gateFailure) fail(`node ${current.id} was already gated: its gate evaluation failed`);
      if (extendsGate === undefined && current.gate) fail(`node ${current.id} was already gated: a second look must name the gate evaluation it extends`);
      if (extendsGate !== undefined) {
        // A second look adds runs with new seeds to the node's last gate evaluation, before its decision.
        if (current.id === ROOT_NODE_ID) fail(`the baseline's gate evaluation is not extended: every first-level decision rests on it`);
        if (!current.gate) fail(`node ${current.id} has no gate evaluation for ${event.id} to extend`);
        if (current.gate!.eventId !== extendsGate) fail(`${event.id} extends gate evaluation ${extendsGate}, but node ${current.id}'s last one is ${current.gate!.eventId}`);
        if (current.decision) fail(`node ${current.id} was already decided: a second gate look comes before the decision`);
        if (current.gate!.firstLook) fail(`node ${current.id} has had both its gate looks`);
        const runs = secondLookRuns(tree);
        if (runs === 0) fail(`${event.id} is a second gate look of node ${current.id}, but this search's admission policy takes none (gateExtend 0)`);
        if (event.type === 'GateEvaluated' && event.data.runs.length !== runs) {
          fail(`second gate look of node ${current.id} ran ${event.data.runs.length} seeds; this search's admission policy runs ${runs} (gateExtend)`);
        }
        const seen = new Set(current.gate!.runs.map((r) => r.seed));
        if (event.type === 'GateEvaluated' && event.data.runs.some((r) => seen.has(r.seed))) fail(`second gate look of node ${current.id} reuses a seed it already ran`);
        if (event.type === 'GateEvaluated' && new Set(event.data.runs.map((r) => r.seed)).size !== event.data.runs.length) fail(`second gate look of node ${current.id} runs a seed twice`);
      }
      if (event.data.gateEvaluationsUsed !== tree.gateEvaluationsUsed + 1) {
        fail(`gate count ${event.data.gateEvaluationsUsed} does not follow ${tree.gateEvaluationsUsed}`);
      }
      tree.gateEvaluationsUsed = event.data.gateEvaluationsUsed;
      if (reusedFrom) tree.reused.gateEvaluations += 1;
      if (event.type === 'GateFailed') {
        state.own(current).gateFailure = { kind: event.data.kind, detail: event.data.detail, eventId: event.id, reusedFrom };
      } else {
        const first = current.gate;
        const scores = summarize([...(first?.runs ?? []), ...event.data.runs]);
        const firstLook = first ? { firstLook: { eventId: first.eventId, integrity: first.integrity, runs: first.runs.length } } : {};
        state.own(current).gate = { runs: scores.runs, mean: scores.mean, stdev: scores.stdev, commit: event.data.commit, integrity: event.data.integrity, eventId: event.id, reusedFrom, ...firstLook };
      }
      break;
    }
    case 'HypothesisAdmitted':
    case 'HypothesisRejected': {
      const current = nodeOf(event.data.nodeId);
      const admitted = event.type === 'HypothesisAdmitted';
      if (current.decision) fail(`node ${current.id} was already ${current.decision.admitted ? 'admitted' : 'rejected'}`);
      if (!current.result) fail(`node ${current.id} has no successful experiment (status ${current.status}): only evaluated nodes are decided`);
      const { policy, rule, reason, evidence, deltas } = event.data;
      const node = state.own(current);
      node.status = admitted ? 'admitted' : 'rejected';
      node.decision = { admitted, revision: event.revision, policy, rule, reason, evidence, deltas, eventId: event.id };
      tree.awaitingDistillation = current.id;
      break;
    }
    case 'InsightDistilled': {
      const { insightId, nodeId, scope, kind, text, evidence, distiller, claim, basis } = event.data;
      const current = nodeOf(nodeId);
      if (tree.insights.has(insightId)) fail(`insight ${insightId} already exists`);
      tree.insights.set(insightId, { id: insightId, nodeId, scope, kind, text, evidence, distiller, claim, basis, active: true, eventId: event.id });
      tree.tokensUsed += tokens(distiller.usage);
      state.own(current).insights.push(insightId);
      tree.awaitingDistillation = undefined;
      break;
    }
    case 'DistillationFailed': {
      const current = nodeOf(event.data.nodeId);
      if (!current.decision) fail(`node ${current.id} has no decision to distill`);
      tree.distillationsFailed = [...tree.distillationsFailed, { nodeId: current.id, reason: event.data.reason, eventId: event.id }];
      tree.awaitingDistillation = undefined;
      break;
    }
    case 'InsightSuperseded': {
      const insight = tree.insights.get(event.data.insightId) ?? fail(`unknown insight ${event.data.insightId}`);
      tree.insights.set(insight.id, { ...insight, active: false, supersededBy: event.data.supersededBy });
      tree.awaitingDistillation = undefined;
      break;
    }
    case 'ExpansionExhausted': {
      const current = nodeOf(event.data.nodeId);
      if (current.exhausted) fail(`node ${current.id} was already exhausted`);
      state.own(current).exhausted = { proposer: event.data.proposer, reason: event.data.reason, eventId: event.id };
      break;
    }
    case 'NodePruned': {
      const current = nodeOf(event.data.nodeId);
      if (current.pruned) fail(`node ${current.id} was already pruned`);
      const { reason, rule, policy } = event.data;
      state.own(current).pruned = { reason, rule, policy, eventId: event.id };
      break;
    }
    case 'SearchCompleted':
      nodeOf(event.data.bestNodeId);
      tree.completed = event.data;
      break;
    case 'SearchFailed':
      // Only the held-out test runs after completion: a failure then is the test's.
      if (tree.completed && event.data.evaluator !== 'test') fail(`a ${event.data.evaluator} evaluation cannot fail after SearchCompleted; only the held-out test runs then`);
      if (tree.finalTest) fail('the held-out test was already computed');
      nodeOf(event.data.nodeId);
      tree.failed = event.data;
      break;
    case 'FinalTestEvaluated':
      if (tree.finalTest) fail('the held-out test is computed once per search');
      if (!tree.completed) fail('the held-out test comes after SearchCompleted');
      if (event.data.best.nodeId !== tree.completed!.bestNodeId) fail(`the test scored ${event.data.best.nodeId}, but the search chose ${tree.completed!.bestNodeId}`);
      if (event.data.baseline.nodeId !== ROOT_NODE_ID) fail(`the baseline is node ${ROOT_NODE_ID}, not ${event.data.baseline.nodeId}`);
      tree.finalTest = event.data;
      tree.reused.testScores += (event.data.baseline.reusedFrom ? 1 : 0) + (event.data.best.nodeId !== ROOT_NODE_ID && event.data.best.reusedFrom ? 1 : 0);
      break;
    default: {
      const unknown: never = event;
      fail(`unhandled event ${(unknown as { type: string }).type}`);
    }
  }
  tree.revision = event.revision;
}

function proposed(
  state: Fold,
  event: SearchEventOf<'HypothesisProposed'> & { id: string },
  nodeOf: (id: NodeId) => TreeNode,
  fail: (detail: string) => never,
): void {
  const { nodeId, parentId, title, mechanism, prediction, change, proposer, insightsConsidered } = event.data;
  const { tree } = state;
  const parent = nodeOf(parentId);
  if (tree.nodes.has(nodeId)) fail(`node ${nodeId} already exists`);
  const expected = childId(parentId, parent.children.length + 1);
  if (nodeId !== expected) fail(`the next child of ${parentId} is ${expected}, not ${nodeId}`);
  tree.tokensUsed += tokens(proposer.usage);
  state.own(parent).children.push(nodeId);
  const hypothesis = { title, mechanism, prediction, change, proposer, insightsConsidered, eventId: event.id };
  state.add(newNode(nodeId, parentId, parent.depth + 1, hypothesis, 'proposed'));
}

// Every node is created with every key present, so all node objects share one shape.
function newNode(id: NodeId, parentId: NodeId | null, depth: number, hypothesis: TreeNode['hypothesis'], status: TreeNode['status']): TreeNode {
  return {
    id,
    parentId,
    depth,
    children: [],
    hypothesis,
    status,
    experiments: [],
    result: undefined,
    failure: undefined,
    gate: undefined,
    gateFailure: undefined,
    decision: undefined,
    pruned: undefined,
    insights: [],
  };
}

// Attempts are rebuilt field by field (not spread): this runs once per experiment event on long folds.
function withState(attempt: ExperimentAttempt, state: ExperimentAttempt['state'], executorId = attempt.executorId): ExperimentAttempt {
  const { experimentId, attempt: n, baseCommit, dispatchedAt, leaseMs, eventId, revision } = attempt;
  return { experimentId, attempt: n, baseCommit, state, executorId, dispatchedAt, leaseMs, eventId, revision };
}

/** The id of the k-th child (1-based) of a node: children of the root are `1`, `2`, …; of `1.2` they are `1.2.1`, …. */
export function childId(parentId: NodeId, k: number): NodeId {
  return parentId === ROOT_NODE_ID ? String(k) : `${parentId}.${k}`;
}

/**
 * How many runs a second gate look takes under the search's admission policy as it stands (its
 * `gateExtend`, changed by a branch's policies): 0, absent or not a positive integer means none.
 */
function secondLookRuns(tree: SearchTree): number {
  const runs = tree.started!.policies.admission.params.gateExtend;
  return typeof runs === 'number' && Number.isInteger(runs) && runs > 0 ? runs : 0;
}

function tokens(usage: { promptTokens: number; completionTokens: number } | undefined): number {
  return usage ? usage.promptTokens + usage.completionTokens : 0;
}
