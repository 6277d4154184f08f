import { ROOT_NODE_ID, type NodeId, type PolicyRef, type ProducerRef, type RecordedSearchEvent, type RunScore } from '@hypotree/events';
import { fold } from './evolve.js';
import type { NodeIntegrity, NodeStatus, SearchTree } from './model.js';
import { summarize } from './stats.js';

/** An event id resolved to what it is: its type, stream position, time and the node it concerns. */
export interface EventRef {
  id: string;
  type: string;
  revision: number;
  at: string;
  nodeId?: NodeId;
  /** A few words on what the event says ("dev 0.812 over 2 runs", "gate 0.80", "admitted (verified)"). */
  summary: string;
}

/** Runs of one evaluation with their mean and spread. */
export interface ExplainedRuns {
  runs: RunScore[];
  mean: number;
  stdev: number;
  sandbox?: string;
  event: EventRef;
}

/**
 * Why a node is where it is, as the log recorded it, in causal order: what was proposed and on what
 * it rested, how it ran, what it scored on dev and on the gate, how it was decided (policy, rule,
 * thresholds and the evidence resolved), what was learnt from it, and where its code is.
 */
export interface Explanation {
  searchId: string;
  nodeId: NodeId;
  parentId: NodeId | null;
  status: NodeStatus;
  /** The node the search named best (SearchCompleted), if it is this one. */
  best: boolean;
  pruned?: { rule: string; reason: string; policy: PolicyRef; event: EventRef };
  proposal?: {
    title: string;
    mechanism: string;
    prediction: string;
    change: unknown;
    proposer: ProducerRef;
    /** The insights the proposer was shown, resolved to their text (an unknown id is kept with `text: undefined`). */
    insightsConsidered: { id: string; kind?: string; text?: string }[];
    insightsRelaxed: string[];
    /** What the parent's evidence was when the node was proposed. */
    parentEvidence: { nodeId: NodeId; dev?: number; gate?: number };
    event: EventRef;
  };
  attempts: {
    experimentId: string;
    attempt: number;
    executorId?: string;
    dispatchedAt: string;
    leaseMs: number;
    outcome: string;
    failure?: { kind: string; detail: string };
  }[];
  dev?: ExplainedRuns & { repeats: EventRef[] };
  /** The gate's runs (both looks' together after a second look; the first's alone when the second failed), or its failure. */
  gate?: ExplainedRuns | { failed: { kind: string; detail: string }; event: EventRef };
  /** Each gate look in order, when the node had two (admission's `gateExtend`), a failed one included. */
  gateLooks?: EventRef[];
  decision?: {
    outcome: 'admitted' | 'rejected';
    policy: PolicyRef;
    rule: string;
    reason: string;
    deltas: Record<string, number>;
    evidence: EventRef[];
    event: EventRef;
  };
  insights: { id: string; kind: string; scope: string; text: string; active: boolean; supersededBy?: string; event: EventRef }[];
  code?: { commit: string; ref: string; baseCommit?: string; filesChanged: string[]; insertions: number; deletions: number };
  /** The root: the held-out test of the baseline and the best node, when the search ran it. */
  finalTest?: { baseline: number; best: number; bestNodeId: NodeId; relativeGain: number; interval?: [number, number]; withinNoise?: boolean; event: EventRef };
}

/**
 * The explanation of one node of a search, from its whole history (the search's own and any parent's
 * events); `tree` is that history folded, when the caller has it already.
 */
export function explainNode(history: readonly RecordedSearchEvent[], nodeId: NodeId, tree: SearchTree = fold(history)): Explanation {
  const node = tree.nodes.get(nodeId);
  if (!node) {
    const known = [...tree.nodes.keys()];
    throw new Error(`search ${tree.searchId} has no node ${nodeId} (it has ${known.length} nodes: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})`);
  }
  const byId = new Map(history.map((e) => [e.id, e]));
  const ref = (id: string): EventRef => resolve(byId, id);
  const parent = node.parentId ? tree.nodes.get(node.parentId) : undefined;
  const explanation: Explanation = {
    searchId: tree.searchId,
    nodeId,
    parentId: node.parentId,
    status: node.status,
    best: tree.completed?.bestNodeId === nodeId,
    attempts: node.experiments.map((e) => {
      const failed = history.find((h) => h.type === 'ExperimentFailed' && h.data.experimentId === e.experimentId);
      const failure = failed?.type === 'ExperimentFailed' ? { kind: failed.data.kind, detail: failed.data.detail } : undefined;
      return {
        experimentId: e.experimentId,
        attempt: e.attempt,
        ...(e.executorId ? { executorId: e.executorId } : {}),
        dispatchedAt: e.dispatchedAt,
        leaseMs: e.leaseMs,
        outcome: failure ? `failed: ${failure.kind}` : e.state,
        ...(failure ? { failure } : {}),
      };
    }),
    insights: [...tree.insights.values()]
      .filter((i) => i.nodeId === nodeId || i.evidence.some((id) => byId.get(id)?.data && (byId.get(id)!.data as { nodeId?: string }).nodeId === nodeId))
      .map((i) => ({ id: i.id, kind: i.kind, scope: i.scope, text: i.text, active: i.active, ...(i.supersededBy ? { supersededBy: i.supersededBy } : {}), event: ref(i.eventId) })),
  };
  if (node.pruned) explanation.pruned = { rule: node.pruned.rule, reason: node.pruned.reason, policy: node.pruned.policy, event: ref(node.pruned.eventId) };
  if (node.hypothesis && parent) {
    const proposed = byId.get(node.hypothesis.eventId);
    const relaxed = proposed?.type === 'HypothesisProposed' ? (proposed.data.insightsRelaxed ?? []) : [];
    const parentThen = fold(history.filter((e) => e.revision < (proposed?.revision ?? Infinity) || e.streamId !== proposed?.streamId));
    const parentNode = parentThen.nodes.get(parent.id) ?? parent;
    explanation.proposal = {
      title: node.hypothesis.title,
      mechanism: node.hypothesis.mechanism,
      prediction: node.hypothesis.prediction,
      change: node.hypothesis.change,
      proposer: node.hypothesis.proposer,
      insightsConsidered: node.hypothesis.insightsConsidered.map((id) => {
        const insight = tree.insights.get(id);
        return insight ? { id, kind: insight.kind, text: insight.text } : { id };
      }),
      insightsRelaxed: relaxed,
      parentEvidence: { nodeId: parent.id, ...(parentNode.result ? { dev: parentNode.result.mean } : {}), ...(parentNode.gate ? { gate: parentNode.gate.mean } : {}) },
      event: ref(node.hypothesis.eventId),
    };
  }
  if (node.result) {
    const repeats = history.filter((e) => e.type === 'ExperimentRepeated' && e.data.nodeId === nodeId).map((e) => ref(e.id));
    explanation.dev = { ...runs(node.result.runs, node.result.integrity), event: ref(node.result.eventId), repeats };
  }
  if (node.gate) explanation.gate = { ...runs(node.gate.runs, node.gate.integrity), event: ref(node.gate.eventId) };
  else if (node.gateFailure) explanation.gate = { failed: { kind: node.gateFailure.kind, detail: node.gateFailure.detail }, event: ref(node.gateFailure.eventId) };
  const looks = [node.gate?.firstLook?.eventId, node.gate?.eventId, node.gateFailure?.eventId].filter((id): id is string => id !== undefined);
  if (looks.length > 1) explanation.gateLooks = looks.map(ref);
  if (node.decision) {
    const d = node.decision;
    explanation.decision = {
      outcome: d.admitted ? 'admitted' : 'rejected',
      policy: d.policy,
      rule: d.rule,
      reason: d.reason,
      deltas: d.deltas,
      evidence: d.evidence.map(ref),
      event: ref(d.eventId),
    };
  }
  if (node.result) {
    const { commit, ref: gitRef, report } = node.result;
    const attempt = node.experiments.find((e) => e.experimentId === node.result!.experimentId);
    explanation.code = { commit, ref: gitRef, ...(attempt ? { baseCommit: attempt.baseCommit } : {}), filesChanged: report.filesChanged, insertions: report.insertions, deletions: report.deletions };
  }
  if (nodeId === ROOT_NODE_ID && tree.finalTest) {
    const t = tree.finalTest;
    const event = [...history].reverse().find((e) => e.type === 'FinalTestEvaluated');
    explanation.finalTest = { baseline: t.baseline.value, best: t.best.value, bestNodeId: t.best.nodeId, relativeGain: t.relativeGain, ...(t.uncertainty ? { interval: [t.uncertainty.low, t.uncertainty.high] as [number, number], withinNoise: t.uncertainty.withinNoise } : {}), event: ref(event!.id) };
  }
  return explanation;
}

function runs(values: RunScore[], integrity: NodeIntegrity | undefined): Omit<ExplainedRuns, 'event'> {
  return { ...summarize(values), ...(integrity ? { sandbox: integrity.sandbox } : {}) };
}

// An event id as a reader wants it: what it is and what it says.
function resolve(byId: Map<string, RecordedSearchEvent>, id: string): EventRef {
  const e = byId.get(id);
  if (!e) return { id, type: '(not in this search)', revision: -1, at: '', summary: 'an event id this search does not hold' };
  const data = e.data as Record<string, unknown>;
  const nodeId = typeof data.nodeId === 'string' ? data.nodeId : undefined;
  return { id, type: e.type, revision: e.revision, at: e.metadata.at, ...(nodeId ? { nodeId } : {}), summary: summaryOf(e) };
}

const fmt = (n: number) => (Math.abs(n) >= 1e-3 || n === 0 ? Number(n.toPrecision(4)).toString() : n.toExponential(2));

function summaryOf(e: RecordedSearchEvent): string {
  const scored = (runs: RunScore[]) => `${fmt(summarize(runs).mean)} over ${runs.length} run${runs.length === 1 ? '' : 's'}`;
  switch (e.type) {
    case 'BaselineMeasured':
      return `baseline dev ${scored(e.data.runs)}`;
    case 'ExperimentSucceeded':
      return `node ${e.data.nodeId} dev ${scored(e.data.runs)} (commit ${e.data.commit.slice(0, 10)})`;
    case 'ExperimentRepeated':
      return `node ${e.data.nodeId} more dev runs ${scored(e.data.runs)}`;
    case 'ExperimentReused':
      return `node ${e.data.nodeId} ${e.data.outcome.type === 'ExperimentSucceeded' ? `dev ${scored(e.data.outcome.data.runs)}` : `failed: ${e.data.outcome.data.kind}`}, reused from ${e.data.source.searchId} node ${e.data.source.nodeId}`;
    case 'ExperimentFailed':
      return `node ${e.data.nodeId} failed: ${e.data.kind}`;
    case 'GateEvaluated':
      return `node ${e.data.nodeId} ${e.data.extendsGate ? 'second gate look' : 'gate'} ${scored(e.data.runs)} (gate call ${e.data.gateEvaluationsUsed})`;
    case 'GateFailed':
      return `node ${e.data.nodeId} ${e.data.extendsGate ? 'second gate look' : 'gate'} failed: ${e.data.kind} (gate call ${e.data.gateEvaluationsUsed})`;
    case 'HypothesisAdmitted':
      return `node ${e.data.nodeId} admitted (${e.data.rule})`;
    case 'HypothesisRejected':
      return `node ${e.data.nodeId} rejected (${e.data.rule})`;
    case 'HypothesisProposed':
      return `node ${e.data.nodeId} proposed under ${e.data.parentId}: ${e.data.title}`;
    case 'InsightDistilled':
      return `insight ${e.data.insightId} (${e.data.kind})`;
    default:
      return e.type;
  }
}
