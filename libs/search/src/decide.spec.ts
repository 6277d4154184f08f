import { given } from '@hypotree/search/testing';
import { fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { loadTaskLike } from './task.fixture.js';
import { taskChanges } from './started.js';

/** A search with its baseline measured and gated, ready to run hypotheses. */
function searchWithBaseline(budget = { experiments: 10, parallel: 2, gateEvaluations: 5 }, extra: Parameters<EventScript['start']>[0] = {}): EventScript {
  const s = new EventScript('s1');
  s.start({ budget, ...extra });
  s.baseline([0.5, 0.51, 0.5]);
  s.gate('0', 0.5);
  return s;
}

const result = (nodeId: string, attempt: number, value: number) => ({
  kind: 'result' as const,
  message: {
    searchId: 's1',
    experimentId: `${nodeId}#${attempt}`,
    nodeId,
    executorId: 'x-1',
    evidence: {
      experimentId: `${nodeId}#${attempt}`, nodeId, searchId: 's1', baseCommit: 'c0', status: 'succeeded' as const, refusals: [],
      devScore: value, runs: [{ seed: 1, value, durationMs: 1 }], commit: `commit-${nodeId}`, ref: `refs/hypotree/s1/${nodeId}`,
      diff: { files: [], insertions: 0, deletions: 0 }, implementation: { implementer: 'params', summary: 's', attempts: 1 },
      report: 'r', durationMs: 1, stdoutTail: '', stderrTail: '', integrity: { sandbox: 'allowlist' as const, specHash: 'h', evaluatorHash: 'e', changedPaths: [] },
    },
  },
});

describe('the search decider', () => {
  describe('starting and the baseline', () => {
    it('records SearchStarted for a new search, and refuses to start one twice', () => {
      const s = new EventScript('s1');
      const started = s.start();
      given([]).when({ kind: 'start', started: { type: 'SearchStarted', data: started.data as never } }).then({ events: ['SearchStarted'], commands: [] });
      given(s.events).when({ kind: 'start', started: { type: 'SearchStarted', data: started.data as never } }).thenThrows(/already started/);
    });

    it('measures the baseline first, then gates it, then asks for proposals at the root', () => {
      const s = new EventScript('s1');
      s.start();
      given(s.events).when({ kind: 'advance' }).then({ commands: [{ kind: 'measure-baseline', commit: 'c0', seeds: [1, 2, 3, 4] }] });
      s.baseline([0.5]);
      given(s.events).when({ kind: 'advance' }).then({ commands: [{ kind: 'gate', nodeId: '0', seeds: 8 }] });
      s.gate('0', 0.5);
      given(s.events).when({ kind: 'advance' }).then({ commands: [{ kind: 'propose', parentId: '0' }] });
    });

    it('does not gate the baseline in dev-only mode', () => {
      const s = new EventScript('s1');
      s.start();
      s.baseline([0.5]);
      given(s.events, { policies: { admission: { mode: 'dev-only' } } }).when({ kind: 'advance' }).then({ commands: [{ kind: 'propose', parentId: '0' }] });
    });
  });

  describe('proposals and dispatch', () => {
    it('numbers proposals after the parent’s children and dispatches a pending node with its lease', () => {
      const s = searchWithBaseline();
      const proposal = { title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params' as const, set: { lr: 0.1 } }, proposer: { kind: 'script' }, insightsConsidered: [] };
      given(s.events).when({ kind: 'proposed', parentId: '0', proposals: [proposal, proposal] }).then({
        events: [{ type: 'HypothesisProposed', data: { nodeId: '1' } }, { type: 'HypothesisProposed', data: { nodeId: '2' } }],
      });
      s.propose('1', '0', { lr: 0.1 });
      given(s.events).when({ kind: 'advance' }).then({
        events: [{ type: 'ExperimentDispatched', data: { experimentId: '1#1', attempt: 1, leaseMs: 60_000 } }],
        commands: [{ kind: 'dispatch', message: { experimentId: '1#1', attempt: 1, baseCommit: 'c0', taskSpec: '/demo/hypotree.task.json' } }],
      });
    });

    it('marks a node exhausted when the proposer has nothing new under it, and goes on with the other admitted nodes', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9]);
      s.gate('1', 0.9);
      s.decide('1', true);
      given(s.events).when({ kind: 'proposed', parentId: '1', proposals: [] }).then({
        events: [{ type: 'ExpansionExhausted', data: { nodeId: '1', proposer: 'offline' } }],
        commands: [],
      });
      s.add({ type: 'ExpansionExhausted', data: { nodeId: '1', proposer: 'offline', reason: 'nothing new' } });
      given(s.events).when({ kind: 'advance' }).then({ commands: [{ kind: 'propose', parentId: '0' }] });
    });

    it('completes with nothing-to-expand once every admitted node is exhausted and nothing is in flight', () => {
      const s = searchWithBaseline();
      s.add({ type: 'ExpansionExhausted', data: { nodeId: '0', proposer: 'offline', reason: 'nothing new' } });
      given(s.events).when({ kind: 'advance' }).then({ events: [{ type: 'SearchCompleted', data: { reason: 'nothing-to-expand: every admitted node is pruned, exhausted or has its maximum of children', bestNodeId: '0' } }] });
    });

    it('waits for a report when every slot is busy', () => {
      const s = searchWithBaseline({ experiments: 10, parallel: 1, gateEvaluations: 5 });
      s.propose('1', '0', { lr: 0.1 });
      s.dispatch('1');
      given(s.events).when({ kind: 'advance' }).then({ events: [], commands: ['await-report'] });
    });
  });

  describe('leases', () => {
    it('records an expired lease as lease-expired, and the next step re-dispatches the node as attempt 2', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.dispatch('1');
      given(s.events).when({ kind: 'leases-expired', experimentIds: ['1#1'] }).then({ events: [{ type: 'ExperimentFailed', data: { experimentId: '1#1', kind: 'lease-expired' } }] });
      s.add({ type: 'ExperimentFailed', data: { experimentId: '1#1', nodeId: '1', kind: 'lease-expired', detail: 'silent' } });
      given(s.events).when({ kind: 'advance' }).then({ commands: [{ kind: 'dispatch', message: { experimentId: '1#2', attempt: 2 } }] });
    });

    it('records a crash when the last allowed attempt expires, and ignores an expiry for an experiment that already finished', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.dispatch('1', 3);
      given(s.events).when({ kind: 'leases-expired', experimentIds: ['1#3'] }).then({ events: [{ type: 'ExperimentFailed', data: { kind: 'crash' } }] });
      s.add({ type: 'ExperimentFailed', data: { experimentId: '1#3', nodeId: '1', kind: 'crash', detail: 'gone' } });
      given(s.events).when({ kind: 'leases-expired', experimentIds: ['1#3'] }).then({ events: [] });
    });
  });

  describe('executor reports', () => {
    it('records started once, ignores heartbeats, and records a result', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.dispatch('1');
      const who = { searchId: 's1', experimentId: '1#1', nodeId: '1', executorId: 'x-1' };
      given(s.events).when({ kind: 'reported', report: { kind: 'started', message: who } }).then({ events: [{ type: 'ExperimentStarted', data: { executorId: 'x-1' } }] });
      given(s.events).when({ kind: 'reported', report: { kind: 'heartbeat', message: who } }).then({ events: [], warns: [] });
      given(s.events).when({ kind: 'reported', report: result('1', 1, 0.8) }).then({ events: [{ type: 'ExperimentSucceeded', data: { commit: 'commit-1' } }] });
    });

    it('records a late or duplicate result never, and says so', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.8]);
      given(s.events).when({ kind: 'reported', report: result('1', 1, 0.99) }).then({ events: [], warns: [/ignored late result for 1#1 \(succeeded\)/] });
      given(s.events).when({ kind: 'reported', report: result('7', 1, 0.99) }).then({ events: [], warns: [/unknown experiment 7#1/] });
      given(s.events).when({ kind: 'reported', report: { ...result('1', 1, 0.99), message: { ...result('1', 1, 0.99).message, searchId: 'other' } } }).then({ events: [], warns: [/of search other/] });
    });
  });

  describe('admission', () => {
    it('asks the gate for a node that clears dev, then records the decision and asks for a distillation', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9, 0.9, 0.9]);
      given(s.events).when({ kind: 'advance' }).then({ events: [], commands: [{ kind: 'gate', nodeId: '1', commit: 'commit-1', seeds: 4 }] });
      given(s.events).when({ kind: 'gated', nodeId: '1', commit: 'commit-1', outcome: { ok: true, runs: [{ seed: 1, value: 0.9 }], sandbox: 'allowlist' } }).then({
        events: [{ type: 'GateEvaluated', data: { gateEvaluationsUsed: 2, integrity: { sandbox: 'allowlist', specHash: 'h', evaluatorHash: 'e' } } }],
      });
      s.gate('1', 0.9);
      given(s.events).when({ kind: 'advance' }).then({ events: [{ type: 'HypothesisAdmitted', data: { nodeId: '1', rule: 'verified' } }], commands: [{ kind: 'distill', nodeId: '1' }] });
      given(s.events, { settings: { insights: false } }).when({ kind: 'advance' }).then({ events: ['HypothesisAdmitted'], commands: [] });
    });

    it('records a failed gate as a counted GateFailed, then rejects the node with gate-failed', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9, 0.9, 0.9]);
      const outcome = { ok: false as const, kind: 'scorer-error' as const, detail: 'the scorer exited with code 1', sandbox: 'allowlist' as const };
      given(s.events).when({ kind: 'gated', nodeId: '1', commit: 'commit-1', outcome }).then({ events: [{ type: 'GateFailed', data: { kind: 'scorer-error', gateEvaluationsUsed: 2 } }], warns: [/gate evaluation of 1 failed/] });
      s.add({ type: 'GateFailed', data: { nodeId: '1', commit: 'commit-1', kind: 'scorer-error', detail: 'x', gateEvaluationsUsed: 2 } });
      given(s.events).when({ kind: 'advance' }).then({ events: [{ type: 'HypothesisRejected', data: { rule: 'gate-failed' } }] });
    });

    it('asks for more dev runs of a node close to its threshold, with new seeds, and records them', () => {
      const s = new EventScript('s1');
      s.start({ budget: { experiments: 10, parallel: 2, gateEvaluations: 5 } });
      s.baseline([0.5, 0.51, 0.49, 0.5]);
      s.gate('0', 0.5);
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.516, 0.496]);
      given(s.events).when({ kind: 'advance' }).then({ events: [], commands: [{ kind: 'repeat', nodeId: '1', commit: 'commit-1', seeds: [2, 3] }] });
      given(s.events).when({ kind: 'repeated', nodeId: '1', commit: 'commit-1', measured: { runs: [{ seed: 2, value: 0.52 }, { seed: 3, value: 0.5 }], sandbox: 'allowlist' } }).then({
        events: [{ type: 'ExperimentRepeated', data: { nodeId: '1', runs: [{ seed: 2 }, { seed: 3 }], integrity: { sandbox: 'allowlist' } } }],
      });
    });

    it('rejects without a gate call once the gate budget is spent', () => {
      const s = searchWithBaseline({ experiments: 10, parallel: 2, gateEvaluations: 1 });
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9, 0.9, 0.9]);
      given(s.events).when({ kind: 'advance' }).then({ events: [{ type: 'HypothesisRejected', data: { rule: 'gate-budget-exhausted' } }], commands: ['distill'] });
    });
  });

  describe('stopping', () => {
    it('cancels what is in flight and completes when the wall clock runs out', () => {
      const s = searchWithBaseline({ experiments: 10, parallel: 2, gateEvaluations: 5, wallClockMs: 60_000 } as never);
      s.propose('1', '0', { lr: 0.1 });
      s.dispatch('1');
      const late = new Date(Date.parse(s.events[0]!.metadata.at) + 120_000);
      given(s.events, { now: late }).when({ kind: 'advance' }).then({
        events: [
          { type: 'ExperimentFailed', data: { experimentId: '1#1', kind: 'cancelled' } },
          { type: 'SearchCompleted', data: { reason: 'budget: the wall-clock budget is spent', bestNodeId: '0' } },
        ],
      });
    });

    it('cancels what is in flight and completes when the token budget runs out', () => {
      const s = searchWithBaseline({ experiments: 10, parallel: 2, gateEvaluations: 5, tokens: 100 } as never);
      s.add({
        type: 'HypothesisProposed',
        data: { nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'freeform', instructions: 'x' }, proposer: { kind: 'llm', usage: { promptTokens: 90, completionTokens: 20 } }, insightsConsidered: [] },
      });
      s.dispatch('1');
      given(s.events).when({ kind: 'advance' }).then({ events: ['ExperimentFailed', { type: 'SearchCompleted', data: { reason: 'budget: the tokens budget is spent' } }] });
    });
  });

  describe('resume', () => {
    it('distills a decision the previous coordinator recorded but did not distill', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9]);
      s.decide('1', false);
      given(s.events).when({ kind: 'resume' }).then({ events: [], commands: [{ kind: 'distill', nodeId: '1' }] });
      given(s.events, { settings: { insights: false } }).when({ kind: 'resume' }).then({ commands: [] });
    });

    it('distills nothing when an insight followed the last decision, or the search is complete', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9]);
      s.decide('1', false);
      s.insight('1', 'i1');
      given(s.events).when({ kind: 'resume' }).then({ commands: [] });
      const done = searchWithBaseline();
      done.propose('1', '0', { lr: 0.1 });
      done.succeed('1', [0.9]);
      done.decide('1', false);
      done.complete();
      given(done.events).when({ kind: 'resume' }).then({ commands: [] });
    });

    it('records a distillation that kept failing, with its reason, and does not ask for it again on resume', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9]);
      s.decide('1', false);
      const reason = 'hypotree.insight.distill request on nats://127.0.0.1:4222 failed after 4 tries: timeout';
      given(s.events)
        .when({ kind: 'distill-failed', nodeId: '1', reason })
        .then({ events: [{ type: 'DistillationFailed', data: { nodeId: '1', reason } }], commands: [] });
      s.add({ type: 'DistillationFailed', data: { nodeId: '1', reason } });
      given(s.events).when({ kind: 'resume' }).then({ commands: [] });
    });

    it('a failed distillation of a node that has no decision is refused by the fold (never written)', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.add({ type: 'DistillationFailed', data: { nodeId: '1', reason: 'x' } });
      expect(() => fold(s.events)).toThrow(/node 1 has no decision to distill/);
    });
  });

  describe('the final test', () => {
    it('asks for the held-out test of the baseline and the best node, once; then finishes', () => {
      const s = searchWithBaseline();
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9]);
      s.gate('1', 0.9);
      s.decide('1', true);
      s.complete('1');
      given(s.events).when({ kind: 'advance' }).then({ commands: [{ kind: 'final-test', baseline: { nodeId: '0', commit: 'c0' }, best: { nodeId: '1', commit: 'commit-1' } }] });
      const tested = given(s.events).when({ kind: 'tested', baseline: { runs: [{ seed: 1, value: 0.5 }] }, best: { runs: [{ seed: 1, value: 0.75 }] } }).then({
        events: [{ type: 'FinalTestEvaluated', data: { baseline: { nodeId: '0', value: 0.5 }, best: { nodeId: '1', value: 0.75 }, gateEvaluations: 2 } }],
      });
      expect((tested.decision.events[0]!.event.data as { relativeGain: number }).relativeGain).toBeCloseTo(0.5, 6);
      s.add({ type: 'FinalTestEvaluated', data: { baseline: { nodeId: '0', commit: 'c0', value: 0.5 }, best: { nodeId: '1', commit: 'commit-1', value: 0.75 }, relativeGain: 0.5, gateEvaluations: 2 } });
      given(s.events).when({ kind: 'advance' }).then({ events: [], commands: ['finish'] });
    });

    it('tests the baseline alone when it is the best node', () => {
      const s = searchWithBaseline();
      s.complete('0');
      const outcome = given(s.events).when({ kind: 'advance' }).then({ commands: ['final-test'] });
      expect(outcome.decision.commands[0]).not.toHaveProperty('best');
    });
  });

  describe('a changed task', () => {
    it('names every difference from the task the search started with, and none for the same task', () => {
      const task = loadTaskLike({ hash: 'h', evaluatorHash: 'e', name: 'demo' });
      const started = { name: 'demo', specPath: 'p', specHash: 'h', evaluatorHash: 'e', repo: 'r', baseCommit: 'c0', objective: { metric: 'accuracy', direction: 'maximize' as const } };
      expect(taskChanges(started, task, 'c0')).toEqual([]);
      const changed = taskChanges(started, loadTaskLike({ hash: 'h2', evaluatorHash: 'e2', name: 'other' }), 'c1');
      expect(changed).toHaveLength(4);
      expect(changed.join('; ')).toMatch(/spec hash .*evaluator files .*base commit .*task demo → other/);
    });
  });
});
