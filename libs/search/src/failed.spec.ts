import { given } from '@hypotree/search/testing';
import { EventScript } from '@hypotree/tree/testing';

// A failed start (the baseline's dev or gate evaluation produced no score) and a failed held-out
// test end the search with SearchFailed: no decision rests on a measurement that failed, nothing is
// left in flight, and a failed search stays failed. The null cases: a node's failed gate, and a
// baseline that scored, let the search go on.

const crash = { kind: 'crash' as const, detail: 'gate evaluation (seed 1): the scorer exited with code 1 before reporting a metric', outputTail: "Error: Cannot find module '/task/evaluators/nope.mjs'" };
const gateFailure = { ok: false as const, ...crash, sandbox: 'allowlist' as const };

function started(budget = { experiments: 10, parallel: 2, gateEvaluations: 5 }): EventScript {
  const s = new EventScript('s1');
  s.start({ budget });
  return s;
}

describe('the search decider: a search that cannot go on', () => {
  describe('the baseline’s dev evaluation fails', () => {
    it('ends the search with SearchFailed naming the evaluator, the kind, the reason and the output', () => {
      const s = started();
      const failure = { kind: 'no-metric' as const, detail: 'dev evaluation (seed 1): the scorer reported no metric\n--- stdout ---\nhello', outputTail: 'hello' };
      const outcome = given(s.events).when({ kind: 'baseline-failed', commit: 'c0', failure }).then({
        events: [{ type: 'SearchFailed', data: { evaluator: 'dev', kind: 'no-metric', nodeId: '0', commit: 'c0', outputTail: 'hello', reason: "the baseline's dev evaluation failed (no-metric) on seed 1: the scorer reported no metric" } }],
        commands: [],
        // Noted in the log, not warned: the interpreter ends the run with the reason, once.
        warns: [],
      });
      expect(outcome.decision.notes).toEqual([{ level: 'log', message: "search s1 failed: the baseline's dev evaluation failed (no-metric) on seed 1: the scorer reported no metric" }]);
    });

    it('keeps the output from the detail when the failure has no tail of its own, and at most the last 2000 characters', () => {
      const s = started();
      const long = `${'x'.repeat(3000)}END`;
      const outcome = given(s.events).when({ kind: 'baseline-failed', commit: 'c0', failure: { kind: 'crash', detail: `setup exited with 2\n${long}`, outputTail: '' } }).then({ events: ['SearchFailed'] });
      const data = outcome.decision.events[0]!.event.data as { outputTail: string; reason: string };
      expect(data.outputTail).toHaveLength(2000);
      expect(data.outputTail.endsWith('END')).toBe(true);
      expect(data.reason).toBe("the baseline's dev evaluation failed (crash): setup exited with 2");
    });

    it('refuses a failed baseline once the baseline was measured', () => {
      const s = started();
      s.baseline([0.5]);
      given(s.events).when({ kind: 'baseline-failed', commit: 'c0', failure: crash }).thenThrows(/the baseline was already measured/);
    });
  });

  describe('the baseline’s gate evaluation fails', () => {
    it('records the gate call (it counts), then SearchFailed: no candidate is ever proposed against it', () => {
      const s = started();
      s.baseline([0.5, 0.51]);
      given(s.events).when({ kind: 'gated', nodeId: '0', commit: 'c0', outcome: gateFailure }).then({
        events: [
          { type: 'GateFailed', data: { nodeId: '0', kind: 'crash', gateEvaluationsUsed: 1 } },
          { type: 'SearchFailed', data: { evaluator: 'gate', kind: 'crash', nodeId: '0', outputTail: crash.outputTail, reason: "the baseline's gate evaluation failed (crash) on seed 1: the scorer exited with code 1 before reporting a metric" } },
        ],
        commands: [],
      });
    });

    it('fails, on resume, a search recorded with a failed baseline gate and no SearchFailed (written before it existed), cancelling what is in flight', () => {
      const s = started();
      s.baseline([0.5, 0.51]);
      s.add({ type: 'GateFailed', data: { nodeId: '0', commit: 'c0', kind: 'scorer-error', detail: 'gate evaluation of c0 failed (scorer-error): the scorer threw\n--- scorer stderr tail ---\nTypeError: x is undefined', gateEvaluationsUsed: 1 } });
      s.propose('1', '0', { lr: 0.1 });
      s.dispatch('1');
      given(s.events).when({ kind: 'advance' }).then({
        events: [
          { type: 'ExperimentFailed', data: { experimentId: '1#1', kind: 'cancelled' } },
          { type: 'SearchFailed', data: { evaluator: 'gate', kind: 'scorer-error', reason: "the baseline's gate evaluation failed (scorer-error): the scorer threw" } },
        ],
      });
      const outcome = given(s.events).when({ kind: 'advance' }).then({});
      expect((outcome.decision.events[1]!.event.data as { outputTail: string }).outputTail).toContain('TypeError: x is undefined');
    });

    it('null case: a failed gate of any other node costs that node only (rejected gate-failed), and the search goes on', () => {
      const s = started();
      s.baseline([0.5, 0.51]);
      s.gate('0', 0.5);
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9, 0.9]);
      given(s.events).when({ kind: 'gated', nodeId: '1', commit: 'commit-1', outcome: gateFailure }).then({ events: ['GateFailed'] });
      s.add({ type: 'GateFailed', data: { nodeId: '1', commit: 'commit-1', kind: 'crash', detail: 'x', gateEvaluationsUsed: 2 } });
      given(s.events).when({ kind: 'advance' }).then({ events: [{ type: 'HypothesisRejected', data: { rule: 'gate-failed' } }] });
    });

    it('null case: a baseline that scored on dev and on the gate goes on to proposals', () => {
      const s = started();
      given(s.events).when({ kind: 'baseline-measured', commit: 'c0', measured: { runs: [{ seed: 1, value: 0.5 }], sandbox: 'allowlist' } }).then({ events: ['BaselineMeasured'] });
      s.baseline([0.5]);
      given(s.events).when({ kind: 'gated', nodeId: '0', commit: 'c0', outcome: { ok: true, runs: [{ seed: 1, value: 0.5 }], sandbox: 'allowlist' } }).then({ events: ['GateEvaluated'], warns: [] });
      s.gate('0', 0.5);
      given(s.events).when({ kind: 'advance' }).then({ events: [], commands: ['propose'] });
    });
  });

  describe('the held-out test fails', () => {
    it('ends a completed search with SearchFailed on the test evaluator, naming the node', () => {
      const s = started();
      s.baseline([0.5]);
      s.gate('0', 0.5);
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.9]);
      s.gate('1', 0.9);
      s.decide('1', true);
      s.complete('1');
      given(s.events).when({ kind: 'test-failed', nodeId: '1', commit: 'commit-1', failure: { ...crash, kind: 'timeout' } }).then({
        events: [{ type: 'SearchFailed', data: { evaluator: 'test', kind: 'timeout', nodeId: '1', commit: 'commit-1', reason: 'the held-out test of the best node 1 failed (timeout) on seed 1: the scorer exited with code 1 before reporting a metric' } }],
      });
      const sealedDetail = 'test evaluation of c0 failed (crash): test evaluation (seed 2): the scorer was killed by SIGKILL\n--- scorer stdout tail ---\n';
      given(s.events).when({ kind: 'test-failed', nodeId: '0', commit: 'c0', failure: { ...crash, detail: sealedDetail } }).then({ events: [{ type: 'SearchFailed', data: { reason: 'the held-out test of the baseline failed (crash) on seed 2: the scorer was killed by SIGKILL' } }] });
    });

    it('refuses a failed test before the search completed', () => {
      const s = started();
      s.baseline([0.5]);
      given(s.events).when({ kind: 'test-failed', nodeId: '0', commit: 'c0', failure: crash }).thenThrows(/the held-out test runs after completion/);
    });
  });

  describe('a failed search', () => {
    function failed(): EventScript {
      const s = started();
      s.add({ type: 'SearchFailed', data: { reason: "the baseline's dev evaluation failed (crash): boom", evaluator: 'dev', kind: 'crash', outputTail: 'boom', nodeId: '0', commit: 'c0' } });
      return s;
    }

    it('finishes at once: nothing is measured, proposed or tested', () => {
      given(failed().events).when({ kind: 'advance' }).then({ events: [], commands: ['finish'] });
    });

    it('says on resume that it failed, with the reason, and distills nothing', () => {
      const outcome = given(failed().events).when({ kind: 'resume' }).then({ events: [], commands: [] });
      expect(outcome.decision.notes).toEqual([{ level: 'log', message: "search s1 failed: the baseline's dev evaluation failed (crash): boom; it cannot be resumed" }]);
    });

    it('null case: an open search resumes without a warning', () => {
      const s = started();
      s.baseline([0.5]);
      given(s.events).when({ kind: 'resume' }).then({ events: [], commands: [], warns: [] });
    });
  });
});
