import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { searchStreamName } from '@hypotree/events';
import { SearchLog, SqliteEventStore } from '@hypotree/event-store';
import type { DispatchExperiment, ExperimentResultMessage } from '@hypotree/messaging';
import { buildPolicies } from '@hypotree/policy';
import { OfflineProposer } from '@hypotree/research';
import { loadTask } from '@hypotree/task';
import type { ExperimentEvidence } from '@hypotree/workspace';
import { parseSearchConfig } from './config.js';
import type { CoordinatorEvaluators } from './evaluators.js';
import { SearchRun, type SearchRunDeps } from './search-run.js';

// The coordinator loop against a real SQLite log, with executors and evaluators played by the test:
// every message the loop sees is one a real executor could send, in any order the test chooses.

const task = loadTask(path.resolve('examples/spirals'));
const score = (params: Record<string, unknown>) => 0.5 + (params.features === 'fourier' ? 0.2 : 0) + (Number(params.epochs ?? 20) > 20 ? 0.05 : 0);

function evidence(command: DispatchExperiment, value: number): ExperimentEvidence {
  return {
    experimentId: command.experimentId,
    nodeId: command.nodeId,
    searchId: command.searchId,
    baseCommit: command.baseCommit,
    status: 'succeeded',
    refusals: [],
    devScore: value,
    runs: [{ seed: 1, value, durationMs: 5 }, { seed: 2, value: value + 0.001, durationMs: 5 }],
    commit: `commit-${command.nodeId}-${command.attempt}`,
    ref: `refs/hypotree/${command.searchId}/${command.nodeId}`,
    diff: { files: [{ path: 'config.json', insertions: 1, deletions: 1 }], insertions: 1, deletions: 1 },
    implementation: { implementer: 'params', summary: 'set params', attempts: 1 },
    report: 'set params',
    durationMs: 10,
    stdoutTail: '',
    stderrTail: '',
    sandbox: 'none',
  };
}

interface Harness {
  store: SqliteEventStore;
  log: SearchLog;
  dispatched: DispatchExperiment[];
  run(overrides?: Partial<SearchRunDeps>, onDispatch?: (run: SearchRun, command: DispatchExperiment) => void): Promise<SearchRun>;
  close(): Promise<void>;
}

function harness(budget = 6): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-run-'));
  const store = SqliteEventStore.open({ path: path.join(dir, 'events.db') });
  const log = new SearchLog(store, { service: 'coordinator', instance: 'test' });
  const dispatched: DispatchExperiment[] = [];
  const params = new Map<string, Record<string, unknown>>();
  const evaluators: CoordinatorEvaluators = {
    baselineDev: async () => [{ seed: 1, value: 0.5 }, { seed: 2, value: 0.501 }],
    sealed: async (commit) => [{ seed: 0, value: params.has(commit) ? score(params.get(commit)!) - 0.01 : 0.49 }],
  };
  const config = parseSearchConfig({ task: 'examples/spirals', budget: { experiments: budget, parallel: 2, gateEvaluations: 10 }, leaseMs: 60_000 });
  const answer = (run: SearchRun, command: DispatchExperiment) => {
    const set = command.hypothesis.change.kind === 'params' ? command.hypothesis.change.set : {};
    const value = score(set);
    params.set(`commit-${command.nodeId}-${command.attempt}`, set);
    const who = { searchId: command.searchId, experimentId: command.experimentId, nodeId: command.nodeId, executorId: 'x-1' };
    setImmediate(() => {
      run.deliver({ kind: 'started', message: who });
      run.deliver({ kind: 'result', message: { ...who, evidence: evidence(command, value) } satisfies ExperimentResultMessage });
    });
  };
  return {
    store,
    log,
    dispatched,
    async run(overrides = {}, onDispatch = answer) {
      let self: SearchRun;
      const deps: SearchRunDeps = {
        log,
        task,
        baseCommit: 'base',
        config,
        policies: buildPolicies(config.policies),
        proposer: new OfflineProposer(),
        evaluators,
        dispatch: async (command) => {
          dispatched.push(command);
          onDispatch(self, command);
        },
        distill: async () => ({ drafts: [] }),
        ...overrides,
      };
      self = new SearchRun(deps, 's1');
      return self;
    },
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function eventTypes(log: SearchLog): Promise<string[]> {
  return (await log.ownEvents('s1')).map((e) => e.type);
}

describe('the coordinator loop', () => {
  it('runs a search to its budget: baseline, root gate, experiments, decisions, completion and one final test', async () => {
    const h = harness(6);
    const summary = await (await h.run()).run();
    const types = await eventTypes(h.log);
    expect(types[0]).toBe('SearchStarted');
    expect(types.filter((t) => t === 'ExperimentSucceeded')).toHaveLength(6);
    expect(types.filter((t) => t === 'HypothesisAdmitted' || t === 'HypothesisRejected')).toHaveLength(6);
    expect(types.filter((t) => t === 'FinalTestEvaluated')).toHaveLength(1);
    expect(types.at(-2)).toBe('SearchCompleted');
    expect(summary.experiments).toBe(6);
    expect(summary.gateEvaluations).toBe(types.filter((t) => t === 'GateEvaluated').length);
    expect(summary.stopReason).toMatch(/^budget/);
    await h.close();
  });

  it('records a duplicate or late result once', async () => {
    const h = harness(2);
    const run = await h.run({}, (self, command) => {
      const who = { searchId: command.searchId, experimentId: command.experimentId, nodeId: command.nodeId, executorId: 'x-1' };
      const result = { kind: 'result' as const, message: { ...who, evidence: evidence(command, 0.6) } };
      setImmediate(() => {
        self.deliver(result);
        self.deliver(result);
        self.deliver({ kind: 'heartbeat', message: who });
      });
    });
    await run.run();
    const events = await h.log.ownEvents('s1');
    const results = events.filter((e) => e.type === 'ExperimentSucceeded');
    expect(results).toHaveLength(2);
    expect(new Set(results.map((e) => (e.data as { experimentId: string }).experimentId)).size).toBe(2);
    await h.close();
  });

  it('re-dispatches an experiment whose lease expired, and ignores the late result of the lost attempt', async () => {
    const h = harness(1);
    let lost: DispatchExperiment | undefined;
    let t = Date.parse('2026-01-01T00:00:00Z');
    const clock = () => new Date(t);
    const run = await h.run({ clock }, (self, command) => {
      if (command.attempt === 1) {
        lost = command;
        t += 61_000; // the executor goes silent past its lease
        return;
      }
      const who = { searchId: command.searchId, experimentId: command.experimentId, nodeId: command.nodeId, executorId: 'x-2' };
      setImmediate(() => {
        // The lost attempt's result arrives late, then the new attempt's.
        self.deliver({ kind: 'result', message: { ...who, experimentId: lost!.experimentId, executorId: 'x-1', evidence: evidence(lost!, 0.9) } });
        self.deliver({ kind: 'result', message: { ...who, evidence: evidence(command, 0.7) } });
      });
    });
    await run.run();
    const events = await h.log.ownEvents('s1');
    const failed = events.filter((e) => e.type === 'ExperimentFailed');
    expect(failed.map((e) => (e.data as { kind: string }).kind)).toEqual(['lease-expired']);
    const results = events.filter((e) => e.type === 'ExperimentSucceeded').map((e) => e.data as { experimentId: string });
    expect(results.map((r) => r.experimentId)).toEqual([h.dispatched[1]!.experimentId]);
    await h.close();
  });

  it('resumes after a crash at any point without losing or duplicating a result', async () => {
    for (const crashAfterDispatches of [0, 1, 2, 4]) {
      const h = harness(5);
      let calls = 0;
      const crashing = await h.run({
        dispatch: async (command) => {
          calls += 1;
          if (calls > crashAfterDispatches) throw new Error('coordinator killed');
          h.dispatched.push(command);
          const who = { searchId: command.searchId, experimentId: command.experimentId, nodeId: command.nodeId, executorId: 'x-1' };
          setImmediate(() => crashing.deliver({ kind: 'result', message: { ...who, evidence: evidence(command, score(command.hypothesis.change.kind === 'params' ? command.hypothesis.change.set : {})) } }));
        },
      });
      await expect(crashing.run()).rejects.toThrow('coordinator killed');
      const before = await h.log.ownEvents('s1');

      const resumed = await h.run({ orphans: 'expire-now' });
      const summary = await resumed.run();
      const after = await h.log.ownEvents('s1');
      // Everything written before the crash is still there, unchanged, as the log's prefix.
      expect(after.slice(0, before.length).map((e) => e.id)).toEqual(before.map((e) => e.id));
      const perNode = new Map<string, number>();
      for (const e of after) {
        if (e.type === 'ExperimentSucceeded') perNode.set(e.data.nodeId, (perNode.get(e.data.nodeId) ?? 0) + 1);
      }
      expect([...perNode.values()].every((n) => n === 1)).toBe(true);
      expect(after.filter((e) => e.type === 'FinalTestEvaluated')).toHaveLength(1);
      expect(summary.experiments).toBe(5);
      await h.close();
    }
  });

  it('never writes an event the projection would refuse: the stream stays foldable', async () => {
    const h = harness(3);
    await (await h.run()).run();
    const revisions = (await h.log.ownEvents('s1')).map((e) => e.revision);
    expect(revisions).toEqual(revisions.map((_, i) => i));
    expect(searchStreamName('s1')).toBe('search-s1');
    await h.close();
  });
});
