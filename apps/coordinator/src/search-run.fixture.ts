import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SearchLog, SqliteEventStore } from '@hypotree/event-store';
import type { DispatchExperiment, ExperimentResultMessage } from '@hypotree/messaging';
import { buildPolicies } from '@hypotree/policy';
import { OfflineProposer } from '@hypotree/research';
import { loadTask } from '@hypotree/task';
import type { ExperimentEvidence } from '@hypotree/messaging';
import { parseSearchConfig } from '@hypotree/search';
import type { CoordinatorEvaluators } from './evaluators.js';
import { SearchRun, type SearchRunDeps } from './search-run.js';

// The coordinator loop against a real SQLite log, with executors and evaluators played by the test:
// every message the loop sees is one a real executor could send, in any order the test chooses.

export const task = loadTask(path.resolve('examples/spirals'));
export const score = (params: Record<string, unknown>) => 0.5 + (params.features === 'fourier' ? 0.2 : 0) + (Number(params.epochs ?? 20) > 20 ? 0.05 : 0);

export function evidence(command: DispatchExperiment, value: number): ExperimentEvidence {
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
    integrity: { sandbox: 'none', specHash: task.hash, evaluatorHash: task.evaluatorHash, changedPaths: ['config.json'] },
  };
}

/**
 * A stop signal that aborts with `message` after `ms` of real time. The tests drive time through the
 * run's clock, so a loop still running after a few real seconds is waiting on a real timer for
 * something that never comes (a lease that lasts longer than it should, a report never sent): it
 * stops with this message instead of hanging until Jest's timeout. The timer never keeps the process up.
 */
export function deadline(ms: number, message: string): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(message)), ms);
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** Real time a search of the harness may take (each takes well under a second). */
export const RUN_DEADLINE_MS = 10_000;

export interface Harness {
  store: SqliteEventStore;
  log: SearchLog;
  dispatched: DispatchExperiment[];
  /** A search run; unless `overrides.signal` is given, it stops after RUN_DEADLINE_MS of real time. */
  run(overrides?: Partial<SearchRunDeps>, onDispatch?: (run: SearchRun, command: DispatchExperiment) => void): Promise<SearchRun>;
  close(): Promise<void>;
}

const open = new Set<Harness>();

/** Closes every harness a test left open (one whose test failed before its own close): for afterEach. */
export async function closeHarnesses(): Promise<void> {
  for (const h of [...open]) await h.close();
}

export function harness(budget = 6): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-run-'));
  const store = SqliteEventStore.open({ path: path.join(dir, 'events.db') });
  const log = new SearchLog(store, { service: 'coordinator', instance: 'test' });
  const dispatched: DispatchExperiment[] = [];
  const deadlines: Array<{ clear(): void }> = [];
  const params = new Map<string, Record<string, unknown>>();
  const evaluators: CoordinatorEvaluators = {
    sandbox: 'none',
    dev: async (commit, seeds) => ({ runs: seeds.map((seed) => ({ seed, value: (params.has(commit) ? score(params.get(commit)!) : 0.5) + (seed - 1) * 0.001 })), sandbox: 'none' }),
    sealed: async (commit) => ({ runs: [{ seed: 0, value: params.has(commit) ? score(params.get(commit)!) - 0.01 : 0.49 }], sandbox: 'none' }),
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
  const h: Harness = {
    store,
    log,
    dispatched,
    async run(overrides = {}, onDispatch = answer) {
      let self: SearchRun;
      const stop = deadline(RUN_DEADLINE_MS, `search s1 did not finish within ${RUN_DEADLINE_MS / 1000} s of real time: its loop waits on a real timer for something that never comes (a lease longer than leaseMs? a report never sent?)`);
      deadlines.push(stop);
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
        signal: stop.signal,
        ...overrides,
      };
      self = new SearchRun(deps, 's1');
      return self;
    },
    async close() {
      if (!open.delete(h)) return;
      for (const stop of deadlines) stop.clear();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  open.add(h);
  return h;
}

