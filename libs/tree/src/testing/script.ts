import {
  deterministicEventId,
  searchStreamName,
  type RecordedSearchEvent,
  type SearchEvent,
  type SearchEventData,
} from '@hypotree/events';

type StartedData = SearchEventData<'SearchStarted'>;

/** The admission policy a script's search runs and decides under, with these parameters (e.g. `{ gateExtend: 8 }`). */
export function scriptAdmission(params: Record<string, unknown> = {}): StartedData['policies']['admission'] {
  return { name: 'verified-improvement', version: 1, params };
}

/**
 * Writes a search's events as they would come back from the store (ids, revisions, metadata),
 * without a store: for specifications, replay tests and synthetic benchmarks.
 */
export class EventScript {
  readonly events: RecordedSearchEvent[] = [];
  private clock: number;
  private gateCalls = 0;
  private readonly commits = new Map<string, string>();

  constructor(
    readonly searchId: string,
    start = Date.parse('2026-01-01T00:00:00Z'),
  ) {
    this.clock = start;
  }

  /** Appends one event with the next revision and returns it. */
  add(event: SearchEvent): RecordedSearchEvent {
    const revision = this.events.length;
    const recorded = {
      ...event,
      id: deterministicEventId(this.searchId, revision),
      streamId: searchStreamName(this.searchId),
      revision,
      metadata: {
        $correlationId: this.searchId,
        $causationId: this.events.at(-1)?.id ?? this.searchId,
        actor: { service: 'script', instance: 'script-1' },
        schemaVersion: 1,
        at: new Date((this.clock += 1000)).toISOString(),
      },
    } as RecordedSearchEvent;
    this.events.push(recorded);
    return recorded;
  }

  /** SearchStarted with sensible defaults for a maximised metric; `policies` replaces the default policies it names. */
  start(overrides: Partial<Omit<StartedData, 'policies'>> & { policies?: Partial<StartedData['policies']> } = {}): RecordedSearchEvent {
    const policy = (name: string) => ({ name, version: 1, params: {} });
    const { policies, ...rest } = overrides;
    return this.add({
      type: 'SearchStarted',
      data: {
        searchId: this.searchId,
        task: { name: 'demo', specPath: 'demo/hypotree.task.json', specHash: 'h', repo: '/repo', baseCommit: 'c0', objective: { metric: 'accuracy', direction: 'maximize' } },
        budget: { experiments: 100, parallel: 1, gateEvaluations: 100 },
        policies: { selection: policy('best-first'), admission: scriptAdmission(), refinement: policy('refine'), ...policies },
        research: { proposer: 'offline', implementer: 'params', distiller: 'offline', insights: true },
        seed: 1,
        ...rest,
      },
    });
  }

  /** The baseline measured on the root with these run values. */
  baseline(values: number[], commit = 'c0'): RecordedSearchEvent {
    this.commits.set('0', commit);
    return this.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit, runs: values.map((value, seed) => ({ seed, value })) } });
  }

  /** A parameter-change hypothesis under a parent. */
  propose(nodeId: string, parentId: string, set: Record<string, number | string | boolean>, title = `try ${nodeId}`): RecordedSearchEvent {
    return this.add({
      type: 'HypothesisProposed',
      data: {
        nodeId,
        parentId,
        title,
        mechanism: 'the change alters training dynamics',
        prediction: 'dev accuracy rises',
        change: { kind: 'params', set },
        proposer: { kind: 'script' },
        insightsConsidered: [],
      },
    });
  }

  /** Dispatch one experiment (its attempt starts at 1) and leave it in flight. */
  dispatch(nodeId: string, attempt = 1): RecordedSearchEvent {
    return this.add({ type: 'ExperimentDispatched', data: { experimentId: `${nodeId}#${attempt}`, nodeId, baseCommit: 'c0', attempt, leaseMs: 60_000 } });
  }

  /** An insight on a node, citing the node's latest evidence. */
  insight(nodeId: string, insightId: string, evidence: string[] = [this.events.at(-1)!.id]): RecordedSearchEvent {
    return this.add({
      type: 'InsightDistilled',
      data: { insightId, nodeId, scope: 'node', kind: 'finding', text: `lesson ${insightId}`, evidence, distiller: { kind: 'script' } },
    });
  }

  /** The search completes with this best node. */
  complete(bestNodeId = '0', reason = 'budget: the experiments budget is spent'): RecordedSearchEvent {
    return this.add({ type: 'SearchCompleted', data: { reason, bestNodeId } });
  }

  /** Dispatch, start and succeed one experiment with these run values. */
  succeed(nodeId: string, values: number[], attempt = 1, integrity?: SearchEventData<'ExperimentSucceeded'>['integrity']): RecordedSearchEvent {
    const experimentId = `${nodeId}#${attempt}`;
    this.commits.set(nodeId, `commit-${nodeId}`);
    this.add({ type: 'ExperimentDispatched', data: { experimentId, nodeId, baseCommit: 'c0', attempt, leaseMs: 60_000 } });
    this.add({ type: 'ExperimentStarted', data: { experimentId, nodeId, executorId: 'x-1' } });
    return this.add({
      type: 'ExperimentSucceeded',
      data: {
        experimentId,
        nodeId,
        executorId: 'x-1',
        commit: `commit-${nodeId}`,
        ref: `refs/hypotree/${this.searchId}/${nodeId}`,
        runs: values.map((value, seed) => ({ seed, value })),
        report: { summary: 'changed params', filesChanged: ['config.json'], insertions: 1, deletions: 1 },
        durationMs: 1000,
        ...(integrity === undefined ? {} : { integrity }),
      },
    });
  }

  /** Dispatch and fail one experiment. */
  failExperiment(nodeId: string, kind: SearchEventData<'ExperimentFailed'>['kind'] = 'crash', attempt = 1): RecordedSearchEvent {
    const experimentId = `${nodeId}#${attempt}`;
    this.add({ type: 'ExperimentDispatched', data: { experimentId, nodeId, baseCommit: 'c0', attempt, leaseMs: 60_000 } });
    return this.add({ type: 'ExperimentFailed', data: { experimentId, nodeId, kind, detail: `${kind} in test` } });
  }

  /** A gate evaluation of a node's commit, one run per value (seeds 0, 1, …); counts gate calls itself. */
  gate(nodeId: string, value: number | number[], integrity?: SearchEventData<'GateEvaluated'>['integrity']): RecordedSearchEvent {
    this.gateCalls += 1;
    const runs = (Array.isArray(value) ? value : [value]).map((v, seed) => ({ seed, value: v }));
    const data = { nodeId, commit: this.commits.get(nodeId) ?? `commit-${nodeId}`, runs, gateEvaluationsUsed: this.gateCalls };
    return this.add({ type: 'GateEvaluated', data: integrity === undefined ? data : { ...data, integrity } });
  }

  /** An admission or a rejection by a named rule, with the numbers the decision records (`deltas`, e.g. `{ gate, gateThreshold }`). */
  decide(nodeId: string, admitted: boolean, rule = admitted ? 'verified' : 'below-threshold', deltas: Record<string, number> = {}): RecordedSearchEvent {
    const data = { nodeId, policy: scriptAdmission(), rule, reason: rule, evidence: [], deltas };
    return this.add(admitted ? { type: 'HypothesisAdmitted', data } : { type: 'HypothesisRejected', data });
  }
}
