import type { SearchLog } from '@hypotree/event-store';
import { fold } from '@hypotree/tree';
import type { DispatchExperiment } from '@hypotree/messaging';
import { buildPolicies } from '@hypotree/policy';
import type { CoordinatorEvaluators } from './evaluators.js';
import { closeHarnesses, deadline, evidence, harness, score } from './search-run.fixture.js';

async function eventTypes(log: SearchLog): Promise<string[]> {
  return (await log.ownEvents('s1')).map((e) => e.type);
}

describe('the coordinator loop', () => {
  afterEach(closeHarnesses);

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

  it('runs a second gate look with the seeds after the first look\'s when admission asks for one (gateExtend), and records it as a gate call', async () => {
    const h = harness(2);
    const calls: Array<{ commit: string; which: string; seeds?: number; from?: number }> = [];
    // The baseline's gate: 8 runs 0.49–0.52. A candidate's first look (4 runs) is a near miss, 0.017
    // over it; its second look (8 runs) a clear gain (see admission.spec, gateExtend).
    const evaluators: CoordinatorEvaluators = {
      sandbox: 'none',
      dev: async (commit, seeds) => ({ runs: seeds.map((seed) => ({ seed, value: (commit === 'base' ? 0.5 : 0.6) + seed * 0.001 })), sandbox: 'none' }),
      sealed: async (commit, which, seeds = 2, from = 1) => {
        calls.push({ commit, which, seeds, from });
        const at = commit === 'base' ? [0.5, 0.52, 0.51, 0.49] : from === 1 ? [0.512, 0.532, 0.522, 0.522] : [0.53, 0.52, 0.525, 0.535];
        return { runs: Array.from({ length: seeds }, (_, i) => ({ seed: from + i, value: at[i % at.length]! })), sandbox: 'none' };
      },
    };
    const summary = await (await h.run({ evaluators, policies: buildPolicies({ admission: { gateExtend: 8 } }) })).run();
    const events = await h.log.ownEvents('s1');
    const second = events.find((e) => e.type === 'GateEvaluated' && e.data.extendsGate !== undefined);
    expect(second).toBeDefined();
    if (second?.type !== 'GateEvaluated') return;
    const first = events.find((e) => e.id === second.data.extendsGate)!;
    expect(first).toMatchObject({ type: 'GateEvaluated', data: { nodeId: second.data.nodeId, commit: second.data.commit } });
    expect(calls).toContainEqual({ commit: second.data.commit, which: 'gate', seeds: 4, from: 1 });
    expect(calls).toContainEqual({ commit: second.data.commit, which: 'gate', seeds: 8, from: 5 });
    expect(second.data.runs.map((r) => r.seed)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    const node = fold(events).nodes.get(second.data.nodeId)!;
    expect(node.decision).toMatchObject({ admitted: true, rule: 'verified' });
    expect(node.decision!.evidence).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(summary.gateEvaluations).toBe(events.filter((e) => e.type === 'GateEvaluated').length);
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
    // The test clock moves 61 s past the first dispatch; the lease is 60 s. Correct leases expire at
    // once; a lease that lasts longer would make the loop wait for it in real time: stop it within
    // 3 s, saying so, instead of hanging until Jest's timeout.
    const stop = deadline(3_000, 'attempt 1 was not re-dispatched although the test clock is 61 s past its dispatch and the lease is 60 s: a lease lasts longer than leaseMs');
    const run = await h.run({ clock, signal: stop.signal }, (self, command) => {
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
    await run.run().finally(stop.clear);
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
    const events = await h.log.ownEvents('s1');
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
    // Folding the whole stream from revision 0 succeeds and reaches its last revision: no event was refused.
    const tree = fold(events);
    expect(tree.revision).toBe(events.at(-1)!.revision);
    expect(tree.completed).toBeDefined();
    await h.close();
  });
});
