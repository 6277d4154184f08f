import { SealedEvaluationError } from '@hypotree/workspace';
import type { DispatchExperiment } from '@hypotree/messaging';
import { fold } from '@hypotree/tree';
import type { CoordinatorEvaluators } from './evaluators.js';
import { closeHarnesses, evidence, harness } from './search-run.fixture.js';

// Faults the coordinator must survive without losing a result or writing an event the log would refuse.

const who = (c: DispatchExperiment, executorId = 'x-1') => ({ searchId: c.searchId, experimentId: c.experimentId, nodeId: c.nodeId, executorId });

describe('the coordinator loop under faults', () => {
  afterEach(closeHarnesses);

  it('drops a distiller draft the log would refuse (unknown node) and keeps the log foldable', async () => {
    const h = harness(2);
    const run = await h.run({
      distill: async ({ nodeId }) => ({
        drafts: [
          { insightId: 'bogus', nodeId: '99', scope: 'node', kind: 'finding', text: 'about a node that does not exist', evidence: [], distiller: { kind: 'remote' }, supersedes: [] },
          { insightId: `ok-${nodeId}`, nodeId, scope: 'node', kind: 'finding', text: 'a real lesson', evidence: [], distiller: { kind: 'remote' }, supersedes: [] },
          { insightId: 'cites-nothing', nodeId, scope: 'node', kind: 'finding', text: 'cites evidence the search never saw', evidence: ['not-an-event'], distiller: { kind: 'remote' }, supersedes: [] },
        ],
      }),
    });
    const summary = await run.run();
    const events = await h.log.ownEvents('s1');
    const tree = fold(events);
    expect([...tree.insights.keys()].sort()).toEqual(['ok-1', 'ok-2']);
    expect(summary.experiments).toBe(2);
    await h.close();
  });

  it('records evidence that cannot make a valid success (no ref) as a crash, and goes on', async () => {
    const h = harness(2);
    const run = await h.run({}, (self, command) => {
      const { ref: _ref, ...noRef } = evidence(command, 0.8);
      setImmediate(() => self.deliver({ kind: 'result', message: { ...who(command), evidence: noRef } }));
    });
    await run.run();
    const failed = (await h.log.ownEvents('s1')).filter((e) => e.type === 'ExperimentFailed').map((e) => e.data as { kind: string; detail: string });
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ kind: 'crash', detail: expect.stringContaining('ref') });
    await h.close();
  });

  it('counts a failed gate evaluation as a gate call, rejects the node with gate-failed, and finishes', async () => {
    const h = harness(2);
    let calls = 0;
    const evaluators: CoordinatorEvaluators = {
      sandbox: 'none',
    dev: async (_commit, seeds) => ({ runs: seeds.map((seed) => ({ seed, value: 0.5 + (seed - 1) * 0.001 })), sandbox: 'none' }),
      sealed: async (commit, which) => {
        if (which === 'gate' && commit !== 'base') {
          calls += 1;
          throw new SealedEvaluationError('gate', commit, 'timeout', 'gate exceeded its 30s wall-clock limit', '', '', 'none', 'evaluators');
        }
        return { runs: [{ seed: 0, value: 0.49 }], sandbox: 'none' };
      },
    };
    const run = await h.run({ evaluators }, (self, command) => {
      setImmediate(() => self.deliver({ kind: 'result', message: { ...who(command), evidence: evidence(command, 0.9) } }));
    });
    const summary = await run.run();
    const events = await h.log.ownEvents('s1');
    expect(events.filter((e) => e.type === 'GateFailed')).toHaveLength(calls);
    expect(calls).toBeGreaterThan(0);
    expect(summary.gateEvaluations).toBe(1 + calls); // the root's gate plus every failed call
    const rejected = events.filter((e) => e.type === 'HypothesisRejected').map((e) => (e.data as { rule: string }).rule);
    expect(rejected).toContain('gate-failed');
    await h.close();
  });

  it('does not expire an executor that kept reporting while the coordinator was busy with a long gate run', async () => {
    const h = harness(2);
    let t = Date.parse('2026-01-01T00:00:00Z');
    const clock = () => new Date(t);
    let heartbeatOfSecond = (): void => undefined;
    const evaluators: CoordinatorEvaluators = {
      sandbox: 'none',
    dev: async (_commit, seeds) => ({ runs: seeds.map((seed) => ({ seed, value: 0.5 + (seed - 1) * 0.001 })), sandbox: 'none' }),
      sealed: async (commit) => {
        if (commit !== 'base') {
          // A 70 s gate run, longer than the 60 s lease, while the other executor reports a heartbeat midway.
          t += 35_000;
          heartbeatOfSecond();
          t += 35_000;
        }
        return { runs: [{ seed: 0, value: commit === 'base' ? 0.49 : 0.9 }], sandbox: 'none' };
      },
    };
    const run = await h.run({ evaluators, clock }, (self, command) => {
      self.deliver({ kind: 'started', message: who(command) });
      if (command.nodeId === '1') {
        setImmediate(() => self.deliver({ kind: 'result', message: { ...who(command), evidence: evidence(command, 0.9) } }));
      } else {
        heartbeatOfSecond = () => self.deliver({ kind: 'heartbeat', message: who(command) });
        setTimeout(() => self.deliver({ kind: 'result', message: { ...who(command), evidence: evidence(command, 0.6) } }), 100);
      }
    });
    await run.run();
    const events = await h.log.ownEvents('s1');
    expect(events.filter((e) => e.type === 'ExperimentFailed')).toEqual([]);
    expect(events.filter((e) => e.type === 'ExperimentSucceeded')).toHaveLength(2);
    await h.close();
  });

  it('distills, on resume, a decision the previous coordinator recorded but stopped before distilling', async () => {
    const h = harness(4);
    let dispatches = 0;
    const crashing = await h.run({
      distill: async () => ({ drafts: [] }),
      dispatch: async (command) => {
        if (++dispatches > 3) throw new Error('coordinator killed');
        setImmediate(() => crashing.deliver({ kind: 'result', message: { ...who(command), evidence: evidence(command, 0.7) } }));
      },
    });
    await expect(crashing.run()).rejects.toThrow('coordinator killed');
    const before = await h.log.ownEvents('s1');
    const lastDecision = [...before].reverse().find((e) => e.type === 'HypothesisAdmitted' || e.type === 'HypothesisRejected')!;

    const asked: string[] = [];
    const resumed = await h.run({ orphans: 'expire-now', distill: async ({ nodeId }) => (asked.push(nodeId), { drafts: [] }) });
    await resumed.run();
    expect(asked[0]).toBe((lastDecision.data as { nodeId: string }).nodeId);
    await h.close();
  });
});
