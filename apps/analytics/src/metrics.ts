import { searchIdOfStream, type Direction, type FailureKind, type RecordedSearchEvent, type SandboxKind } from '@hypotree/events';
import { orient } from '@hypotree/tree';

/** What the analytics service reports about one search, derived from its own stream's events only. */
export interface SearchMetrics {
  searchId: string;
  task?: string;
  direction?: Direction;
  /** The sandbox the search's evaluations ran in, as SearchStarted recorded it (a branch has its parent's). */
  sandbox?: SandboxKind;
  /** Set for a branch: its counters cover the branch's own events, not the parent's history before the branch point. */
  branchedFrom?: { searchId: string; revision: number };
  /** Revision of the last event of this search's stream that was applied. */
  revision: number;
  status: 'started' | 'completed' | 'tested' | 'failed';
  /** Experiments with an outcome (succeeded, or failed for a reason other than an expired lease), as `searchCounts` counts them. */
  experiments: number;
  /** Every ExperimentFailed by kind, lease expiries (re-dispatched) included. */
  failures: Partial<Record<FailureKind, number>>;
  admitted: number;
  rejected: number;
  gateEvaluations: number;
  insights: number;
  tokens: number;
  /** The admitted node (the root once the baseline is measured) with the best oriented dev score. */
  best?: { nodeId: string; dev: number };
  stopReason?: string;
  /** The held-out relative gain, once FinalTestEvaluated is recorded. */
  relativeGain?: number;
  /** `<stream>@<revision>: <reason>` of the first event of this search that could not be read; later events still count. */
  error?: string;
}

/** One search's projection: its metrics and the dev means of evaluated nodes not yet decided. */
export interface SearchProjection {
  metrics: SearchMetrics;
  undecided: Record<string, number>;
}

/** The projection of a search with no events applied yet. */
export function emptyProjection(searchId: string): SearchProjection {
  return {
    metrics: { searchId, revision: -1, status: 'started', experiments: 0, failures: {}, admitted: 0, rejected: 0, gateEvaluations: 0, insights: 0, tokens: 0 },
    undecided: {},
  };
}

/** The search a stored event belongs to: the id in its `search-<id>` stream name. */
export function searchIdOf(streamId: string): string {
  return searchIdOfStream(streamId) ?? streamId;
}

/** Looks up another search's metrics (a branch copies its parent's task and objective direction). */
export type MetricsLookup = (searchId: string) => SearchMetrics | undefined;

const usage = (u: { promptTokens: number; completionTokens: number } | undefined) => (u ? u.promptTokens + u.completionTokens : 0);
const mean = (runs: { value: number }[]) => runs.reduce((sum, r) => sum + r.value, 0) / runs.length;

/** Applies one decoded event to its search's projection (pure: returns a new projection). */
export function evolve(state: SearchProjection | undefined, event: RecordedSearchEvent, lookup: MetricsLookup = () => undefined): SearchProjection {
  // A replay's reused experiment counts as the outcome it repeats (the search's cost on its own).
  if (event.type === 'ExperimentReused') return evolve(state, { ...event, type: event.data.outcome.type, data: event.data.outcome.data } as RecordedSearchEvent, lookup);
  const current = state ?? emptyProjection(searchIdOf(event.streamId));
  const m: SearchMetrics = { ...current.metrics, failures: { ...current.metrics.failures }, revision: event.revision };
  const undecided = { ...current.undecided };
  const dev = (value: number) => (m.direction ? orient(value, m.direction) : value);
  const consider = (nodeId: string, value: number) => {
    if (!m.best || dev(value) > m.best.dev) m.best = { nodeId, dev: dev(value) };
  };
  switch (event.type) {
    case 'SearchStarted':
      m.task = event.data.task.name;
      m.direction = event.data.task.objective.direction;
      m.sandbox = event.data.trust?.sandbox;
      break;
    case 'SearchBranched': {
      const parent = lookup(event.data.parent.searchId);
      m.branchedFrom = { ...event.data.parent };
      if (parent?.task) m.task = parent.task;
      if (parent?.direction) m.direction = parent.direction;
      if (parent?.sandbox) m.sandbox = parent.sandbox;
      break;
    }
    case 'BaselineMeasured':
      consider(event.data.nodeId, mean(event.data.runs));
      break;
    case 'HypothesisProposed':
      m.tokens += usage(event.data.proposer.usage);
      break;
    case 'ExperimentSucceeded':
      m.experiments += 1;
      m.tokens += usage(event.data.implementation?.usage);
      undecided[event.data.nodeId] = mean(event.data.runs);
      break;
    case 'ExperimentFailed':
      if (event.data.kind !== 'lease-expired') m.experiments += 1;
      m.failures[event.data.kind] = (m.failures[event.data.kind] ?? 0) + 1;
      m.tokens += usage(event.data.implementation?.usage);
      break;
    case 'GateEvaluated':
    case 'GateFailed':
      m.gateEvaluations += 1;
      break;
    case 'HypothesisAdmitted': {
      m.admitted += 1;
      const value = undecided[event.data.nodeId];
      if (value !== undefined) consider(event.data.nodeId, value);
      delete undecided[event.data.nodeId];
      break;
    }
    case 'HypothesisRejected':
      m.rejected += 1;
      delete undecided[event.data.nodeId];
      break;
    case 'InsightDistilled':
      m.insights += 1;
      m.tokens += usage(event.data.distiller.usage);
      break;
    case 'SearchCompleted':
      m.status = 'completed';
      m.stopReason = event.data.reason;
      break;
    case 'SearchFailed':
      m.status = 'failed';
      m.stopReason = event.data.reason;
      break;
    case 'FinalTestEvaluated':
      m.status = 'tested';
      m.relativeGain = event.data.relativeGain;
      break;
    case 'ExperimentDispatched':
    case 'ExperimentStarted':
    case 'InsightSuperseded':
    case 'NodePruned':
    case 'ExpansionExhausted':
    case 'DistillationFailed':
    case 'ExperimentRepeated':
    case 'ModelCalled': // the proposal or insight it produced carries the tokens
      break;
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${(unknown as { type: string }).type}`);
    }
  }
  return { metrics: m, undecided };
}

/** Marks a search as having an unreadable event; keeps its first error. */
export function markError(state: SearchProjection | undefined, searchId: string, revision: number, error: string): SearchProjection {
  const current = state ?? emptyProjection(searchId);
  return { ...current, metrics: { ...current.metrics, revision: Math.max(current.metrics.revision, revision), error: current.metrics.error ?? error } };
}
