import { deterministicEventId, ROOT_NODE_ID, type Integrity, type ModelCall, type NodeId, type RunScore, type SandboxKind, type SearchEvent } from '@hypotree/events';
import type { PendingEvent } from '@hypotree/event-store';
import type { Proposal } from '@hypotree/research';
import { criticalValue, pooledNoise } from '@hypotree/policy';
import { relativeGain, type SearchTree } from '@hypotree/tree';
import { insightEvents } from './insight-events.js';
import type { ExecutorReport, GateOutcome, Measured, Note, SearchContext, SearchDecision, TestRuns } from './model.js';
import { refusal } from './rehearse.js';
import { resultEvent } from './result-event.js';

/** A decision with only events (and notes). */
export function recorded(events: PendingEvent[], notes: Note[] = []): SearchDecision {
  return { events, commands: [], notes };
}

/** The id of an event this search writes: deterministic, so a retried append is de-duplicated. */
export function eventId(ctx: SearchContext, ...key: (string | number)[]): string {
  return deterministicEventId(ctx.searchId, ...key);
}

/** The integrity record of an evaluation the coordinator ran itself. */
function integrity(ctx: SearchContext, sandbox: SandboxKind, evaluatorHash = ctx.settings.evaluatorHash): Integrity {
  return { sandbox, specHash: ctx.settings.specHash, evaluatorHash };
}

const mean = (runs: readonly RunScore[]) => runs.reduce((sum, r) => sum + r.value, 0) / runs.length;

/**
 * The 95% interval of a relative held-out gain from the test's seeds: the spread of one run pooled
 * over both evaluations, Student's t on its degrees of freedom. The baseline tested against itself
 * (it was the best node) has a gain of exactly 0.
 */
function gainInterval(gain: number, baseline: number, evaluations: readonly (readonly RunScore[])[]) {
  if (evaluations.length === 1) return { low: 0, high: 0, se: 0, df: 0, withinNoise: true };
  const [base, best] = evaluations as [readonly RunScore[], readonly RunScore[]];
  const noise = pooledNoise(evaluations.map((runs) => runs.map((r) => r.value)));
  const se = Math.sqrt(noise.variance * (1 / base.length + 1 / best.length)) / (Math.abs(baseline) + 1e-9);
  const half = se > 0 ? criticalValue(0.025, noise.df) * se : 0;
  const bounded = (v: number) => (Number.isFinite(v) ? v : Math.sign(v) * Number.MAX_VALUE);
  return { low: bounded(gain - half), high: bounded(gain + half), se, df: noise.df, withinNoise: gain - half <= 0 && gain + half >= 0 };
}

/** The baseline's dev runs, on the root. */
export function baselineMeasured(ctx: SearchContext, commit: string, measured: Measured): SearchDecision {
  const data = { nodeId: ROOT_NODE_ID, commit, runs: measured.runs, integrity: integrity(ctx, measured.sandbox, measured.evaluatorHash), ...reuse(measured) };
  return recorded([{ id: eventId(ctx, 'baseline'), event: { type: 'BaselineMeasured', data } }]);
}

const reuse = (from: { reusedFrom?: TestRuns['reusedFrom'] }) => (from.reusedFrom ? { reusedFrom: from.reusedFrom } : {});

/**
 * The model calls behind a proposal round or a distillation, recorded before what they produced:
 * the log's cache of model replies. Ids follow the revision they are written after, so they stay
 * deterministic (the same prompt may be asked again later in a search).
 */
export function modelCalled(tree: SearchTree, ctx: SearchContext, nodeId: NodeId, calls: readonly ModelCall[] = []): SearchDecision['events'] {
  return calls.map((call, i) => ({ id: eventId(ctx, 'model', tree.revision, i), event: { type: 'ModelCalled', data: { ...call, nodeId } } }));
}

/** New hypotheses under a parent, numbered after its existing children. */
export function proposed(tree: SearchTree, ctx: SearchContext, parentId: NodeId, proposals: readonly Proposal[]): SearchDecision {
  const parent = tree.nodes.get(parentId)!;
  const events = proposals.map((p, i) => {
    const n = parent.children.length + i + 1;
    const nodeId = parentId === ROOT_NODE_ID ? String(n) : `${parentId}.${n}`;
    const event: SearchEvent = { type: 'HypothesisProposed', data: { nodeId, parentId, ...p } };
    return { id: eventId(ctx, 'proposed', nodeId), event };
  });
  return recorded(events);
}

/**
 * An executor's report: `started` and the result become events; heartbeats only keep a lease
 * (the interpreter's business). A report for another search or an unknown experiment, and a late
 * or duplicate one (its experiment already has an outcome), change nothing: a result is recorded once.
 */
export function reported(tree: SearchTree, ctx: SearchContext, report: ExecutorReport): SearchDecision {
  const { experimentId, nodeId, searchId } = report.message;
  const attempt = tree.nodes.get(nodeId)?.experiments.find((e) => e.experimentId === experimentId);
  if (searchId !== ctx.searchId || !attempt) {
    return recorded([], [{ level: 'warn', message: `ignored ${report.kind} for unknown experiment ${experimentId} of search ${searchId}` }]);
  }
  if (attempt.state !== 'dispatched' && attempt.state !== 'started') {
    return recorded([], [{ level: 'warn', message: `ignored late ${report.kind} for ${experimentId} (${attempt.state}); a result is recorded once` }]);
  }
  if (report.kind === 'heartbeat') return recorded([]);
  if (report.kind === 'reused') {
    const data = report.reused;
    const source = `${data.source.searchId} node ${data.source.nodeId}`;
    return recorded([{ id: eventId(ctx, 'result', experimentId), causationId: attempt.eventId, event: { type: 'ExperimentReused', data } }], [{ level: 'log', message: `${experimentId} reused from ${source}` }]);
  }
  if (report.kind === 'started') {
    if (attempt.state !== 'dispatched') return recorded([]);
    const data = { experimentId, nodeId, executorId: report.message.executorId };
    return recorded([{ id: eventId(ctx, 'started', experimentId), causationId: attempt.eventId, event: { type: 'ExperimentStarted', data } }]);
  }
  const event = resultEvent(report.message);
  const outcome = event.type === 'ExperimentSucceeded' ? 'succeeded' : 'failed';
  return recorded([{ id: eventId(ctx, 'result', experimentId), causationId: attempt.eventId, event }], [{ level: 'log', message: `${experimentId} ${outcome}` }]);
}

/**
 * Experiments whose executor went silent past the lease: re-dispatched, or a crash after the last
 * attempt. One the transport gave up on (`undeliverable`: a dispatch dead-lettered after its
 * executors kept dying) is a crash at once, with the transport's reason: dispatching it again would
 * only kill more executors.
 */
export function leasesExpired(tree: SearchTree, ctx: SearchContext, experimentIds: readonly string[], undeliverable: Readonly<Record<string, string>> = {}): SearchDecision {
  const events: PendingEvent[] = [];
  const notes: Note[] = [];
  for (const experimentId of experimentIds) {
    const nodeId = tree.experiments.get(experimentId);
    const attempt = nodeId === undefined ? undefined : tree.nodes.get(nodeId)!.experiments.find((e) => e.experimentId === experimentId);
    if (!attempt || (attempt.state !== 'dispatched' && attempt.state !== 'started')) continue;
    const final = attempt.attempt >= ctx.settings.maxAttempts;
    const dead = undeliverable[experimentId];
    const data = dead !== undefined
      ? { experimentId, nodeId: nodeId!, kind: 'crash' as const, detail: dead }
      : final
        ? { experimentId, nodeId: nodeId!, kind: 'crash' as const, detail: `lease expired on ${attempt.attempt} attempts; no executor reported a result` }
        : { experimentId, nodeId: nodeId!, kind: 'lease-expired' as const, detail: `no word from an executor for ${ctx.settings.leaseMs} ms; re-dispatching` };
    events.push({ id: eventId(ctx, 'result', experimentId), causationId: attempt.eventId, event: { type: 'ExperimentFailed', data } });
    notes.push({ level: 'log', message: `${experimentId} ${data.kind}` });
  }
  return recorded(events, notes);
}

/** More dev runs of a node close to its threshold: they join its result. */
export function repeated(ctx: SearchContext, nodeId: NodeId, commit: string, measured: Measured): SearchDecision {
  const data = { nodeId, commit, runs: measured.runs, integrity: integrity(ctx, measured.sandbox, measured.evaluatorHash), ...reuse(measured) };
  return recorded([{ id: eventId(ctx, 'repeated', nodeId, ...measured.runs.map((r) => r.seed)), event: { type: 'ExperimentRepeated', data } }]);
}

/**
 * A gate evaluation: scored or failed, it is an event and counts against the gate budget. On a node
 * already gated it is a second look (admission's `gateExtend`), naming the evaluation it adds runs to.
 */
export function gated(tree: SearchTree, ctx: SearchContext, nodeId: NodeId, commit: string, outcome: GateOutcome): SearchDecision {
  const gateEvaluationsUsed = tree.gateEvaluationsUsed + 1;
  const record = integrity(ctx, outcome.sandbox, outcome.evaluatorHash);
  const node = tree.nodes.get(nodeId);
  const look = node?.gate ? { extendsGate: node.gate.eventId } : {};
  const event: SearchEvent = outcome.ok
    ? { type: 'GateEvaluated', data: { nodeId, commit, runs: outcome.runs, gateEvaluationsUsed, integrity: record, ...reuse(outcome), ...look } }
    : { type: 'GateFailed', data: { nodeId, commit, kind: outcome.kind, detail: outcome.detail, gateEvaluationsUsed, integrity: record, ...reuse(outcome), ...look } };
  const notes: Note[] = outcome.ok ? [] : [{ level: 'warn', message: `the gate evaluation of ${nodeId} failed: ${outcome.detail}` }];
  return recorded([{ id: eventId(ctx, 'gate', gateEvaluationsUsed), causationId: node?.gate?.eventId ?? node?.result?.eventId, event }], notes);
}

/** A distiller's reply, as insight events; drafts the log would refuse are dropped with their reason. */
export function distilled(tree: SearchTree, ctx: SearchContext, nodeId: NodeId, drafts: Parameters<typeof insightEvents>[1], calls: readonly ModelCall[] = []): SearchDecision {
  const notes: Note[] = [];
  const events = modelCalled(tree, ctx, nodeId, calls);
  events.push(...insightEvents(tree, drafts, {
    id: (...key) => eventId(ctx, ...key),
    cause: tree.nodes.get(nodeId)?.decision?.eventId,
    refusal: (pending) => refusal(tree, ctx.searchId, pending, ctx.now),
    warn: (message) => notes.push({ level: 'warn', message }),
  }));
  return recorded(events, notes);
}

/** The held-out test of the baseline and the best node, recorded once, with the relative gain. */
export function tested(tree: SearchTree, ctx: SearchContext, baselineTest: TestRuns, bestTest: TestRuns): SearchDecision {
  const root = tree.nodes.get(ROOT_NODE_ID)!;
  const best = tree.nodes.get(tree.completed!.bestNodeId)!;
  const { runs: baselineRuns } = baselineTest;
  const { runs: bestRuns } = bestTest;
  const baseline = mean(baselineRuns);
  const bestValue = mean(bestRuns);
  const direction = tree.objective!.direction;
  const gain = relativeGain(bestValue, baseline, direction);
  const data = {
    baseline: { nodeId: root.id, commit: root.result!.commit, value: baseline, runs: baselineRuns, ...reuse(baselineTest) },
    best: { nodeId: best.id, commit: best.result!.commit, value: bestValue, runs: bestRuns, ...reuse(bestTest) },
    relativeGain: gain,
    gateEvaluations: tree.gateEvaluationsUsed,
    uncertainty: gainInterval(gain, baseline, best.id === root.id ? [baselineRuns] : [baselineRuns, bestRuns]),
  };
  return recorded([{ id: eventId(ctx, 'final-test'), event: { type: 'FinalTestEvaluated', data } }]);
}
