import type { NodeId, SearchEventData } from '@hypotree/events';
import { fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { admissionPolicy } from './admission.js';
import { replayAdmission } from './replay.js';

type Admission = ReturnType<typeof admissionPolicy>;
type Budget = SearchEventData<'SearchStarted'>['budget'];

/**
 * Writes a search's log the way the coordinator does: after each result the recording policy
 * decides; the repeats it asks for run with the given batches of values, its gate calls with the
 * given gate values (or fail), and its decision is recorded. A node runs out of batches undecided.
 */
class Recorder {
  readonly s = new EventScript('s1');
  private gateCalls = 0;

  // The default budget has as many gate calls as experiments: the gate is never scarce (no gate-reserved).
  constructor(private readonly policy: Admission, budget: Budget = { experiments: 20, parallel: 1, gateEvaluations: 20 }, rootGate = true) {
    this.s.start({ budget });
    this.s.baseline([0.5, 0.51, 0.49, 0.5]);
    if (rootGate) this.gate('0', [0.5, 0.51, 0.49, 0.5]);
  }

  gate(nodeId: NodeId, values: number[] | 'fail'): void {
    this.gateCalls += 1;
    const commit = nodeId === '0' ? 'c0' : `commit-${nodeId}`;
    if (values === 'fail') this.s.add({ type: 'GateFailed', data: { nodeId, commit, kind: 'timeout', detail: 'slow', gateEvaluationsUsed: this.gateCalls } });
    else this.s.add({ type: 'GateEvaluated', data: { nodeId, commit, runs: values.map((value, seed) => ({ seed, value })), gateEvaluationsUsed: this.gateCalls } });
  }

  node(nodeId: NodeId, parentId: NodeId, dev: number[], then: { more?: number[][]; gate?: number[] | 'fail' } = {}): string {
    this.s.propose(nodeId, parentId, { id: nodeId });
    this.s.succeed(nodeId, dev);
    const more = [...(then.more ?? [])];
    let seed = dev.length;
    for (;;) {
      const decision = this.policy.decide(fold(this.s.events), nodeId);
      if (decision.action === 'repeat') {
        const batch = more.shift();
        if (!batch) return 'undecided';
        this.s.add({ type: 'ExperimentRepeated', data: { nodeId, commit: `commit-${nodeId}`, runs: batch.map((value) => ({ seed: seed++, value })) } });
      } else if (decision.action === 'gate') {
        if (!then.gate) return 'undecided';
        this.gate(nodeId, then.gate);
      } else {
        const data = { nodeId, policy: decision.policy, rule: decision.rule, reason: decision.reason, evidence: decision.evidence, deltas: decision.deltas };
        this.s.add(decision.action === 'admit' ? { type: 'HypothesisAdmitted', data } : { type: 'HypothesisRejected', data });
        return decision.rule;
      }
    }
  }
}

describe('replaying a whole recorded search', () => {
  /** A calibrated search with repeats, a failed gate, a gate disagreement, pruning, completion and the held-out test. */
  function whole(): { log: Recorder; rules: Record<string, string> } {
    const log = new Recorder(admissionPolicy());
    const rules = {
      '1': log.node('1', '0', [0.6, 0.61], { gate: [0.6, 0.61, 0.59, 0.6] }),
      '2': log.node('2', '0', [0.516, 0.496], { more: [[0.516, 0.496], [0.516, 0.496]] }),
      '3': log.node('3', '0', [0.7, 0.71], { gate: 'fail' }),
      '1.1': log.node('1.1', '1', [0.55, 0.56]),
      '4': log.node('4', '0', [0.58, 0.59], { gate: [0.515, 0.505, 0.51, 0.51] }),
    };
    log.s.add({ type: 'NodePruned', data: { nodeId: '3', reason: 'its gate failed', rule: 'test', policy: { name: 'refinement', version: 1, params: {} } } });
    log.s.complete('1');
    log.s.add({ type: 'FinalTestEvaluated', data: { baseline: { nodeId: '0', commit: 'c0', value: 0.5 }, best: { nodeId: '1', commit: 'commit-1', value: 0.6 }, relativeGain: 0.2, gateEvaluations: 4 } });
    return { log, rules };
  }

  it('recorded the scenario it means to: admitted, rejected after repeats, gate failed, below threshold, gate disagreeing', () => {
    const { log, rules } = whole();
    expect(rules).toEqual({ '1': 'verified', '2': 'dev-below-threshold', '3': 'gate-failed', '1.1': 'dev-below-threshold', '4': 'gate-disagrees' });
    expect(log.s.events.filter((e) => e.type === 'ExperimentRepeated')).toHaveLength(2);
  });

  it('comes out the same under the policy that recorded it: every decision, no missing gate or run, the same best', () => {
    const replay = replayAdmission(whole().log.s.events, admissionPolicy());
    expect(replay.decisions.map((d) => [d.nodeId, d.recorded.outcome, d.replayed.outcome, d.replayed.rule, d.changed])).toEqual([
      ['1', 'admitted', 'admitted', 'verified', false],
      ['2', 'rejected', 'rejected', 'dev-below-threshold', false],
      ['3', 'rejected', 'rejected', 'gate-failed', false],
      ['1.1', 'rejected', 'rejected', 'dev-below-threshold', false],
      ['4', 'rejected', 'rejected', 'gate-disagrees', false],
    ]);
    expect(replay.decisions[0]!.recorded.rule).toBe('verified');
    expect(replay.unrecordedGates).toEqual([]);
    expect(replay.unrecordedRuns).toEqual([]);
    expect(replay).toMatchObject({ recordedBest: '1', replayedBest: '1' });
  });

  it('never counts a rejected node as admitted: node 1.1\'s gate score beats its parent\'s by too little, and the parent stays the best', () => {
    const log = new Recorder(admissionPolicy());
    expect(log.node('1', '0', [0.6, 0.61], { gate: [0.6, 0.61, 0.59, 0.6] })).toBe('verified');
    expect(log.node('1.1', '1', [0.7, 0.71], { gate: [0.605, 0.615, 0.595, 0.605] })).toBe('gate-disagrees');
    const replay = replayAdmission(log.s.events, admissionPolicy());
    expect(replay.decisions.map((d) => d.replayed.outcome)).toEqual(['admitted', 'rejected']);
    expect(replay.replayedBest).toBe('1');
  });

  it('asks for the runs a policy wants that the log never recorded, instead of inventing them', () => {
    const log = new Recorder(admissionPolicy({ test: 'fixed', sigmas: 1 }));
    expect(log.node('1', '0', [0.516, 0.496])).toBe('dev-below-threshold');
    const replay = replayAdmission(log.s.events, admissionPolicy());
    expect(replay.decisions[0]).toMatchObject({ nodeId: '1', replayed: { outcome: 'needs-runs', rule: 'dev-close' }, changed: true });
    expect(replay.unrecordedRuns).toEqual(['1']);
    expect(replay.unrecordedGates).toEqual([]);
  });

  it('reports a node the log left undecided (the coordinator stopped before deciding) as undecided, and decides it', () => {
    const log = new Recorder(admissionPolicy());
    log.node('1', '0', [0.6, 0.61]);
    const replay = replayAdmission(log.s.events, admissionPolicy({ mode: 'dev-only' }));
    expect(replay.decisions[0]).toMatchObject({ nodeId: '1', recorded: { outcome: 'undecided', rule: undefined }, replayed: { outcome: 'admitted' }, changed: true });
  });
});

describe('replaying the gate budget', () => {
  it('spends no gate call the replayed policy did not ask for: a later node still gets the one left', () => {
    // Recorded laxly with one gate call after the root's: node 1 took it, node 2 found none left.
    const log = new Recorder(admissionPolicy({ test: 'fixed', sigmas: 0 }), { experiments: 10, parallel: 1, gateEvaluations: 2 });
    expect(log.node('1', '0', [0.503, 0.513], { gate: [0.6] })).toBe('verified');
    expect(log.node('2', '0', [0.7, 0.71])).toBe('gate-budget-exhausted');
    // The calibrated screen rejects node 1 on dev; node 2 then wants the call the log spent on node 1.
    const replay = replayAdmission(log.s.events, admissionPolicy({ devAlpha: 0.01 }));
    expect(replay.decisions.map((d) => [d.nodeId, d.replayed.outcome])).toEqual([
      ['1', 'rejected'],
      ['2', 'needs-gate'],
    ]);
    expect(replay.unrecordedGates).toEqual(['2']);
  });
});

describe('the best node of a replay', () => {
  it('is, as recorded, the one the completed search named; without a completion, the best verified one', () => {
    const log = new Recorder(admissionPolicy({ mode: 'dev-only' }), undefined, false);
    log.node('1', '0', [0.6, 0.61]);
    log.node('2', '0', [0.7, 0.71]);
    expect(replayAdmission(log.s.events, admissionPolicy({ mode: 'dev-only' })).recordedBest).toBe('2');
    log.s.complete('1');
    expect(replayAdmission(log.s.events, admissionPolicy({ mode: 'dev-only' })).recordedBest).toBe('1');
  });

  it('is chosen on the gate when the replayed policy verifies, on dev when it is dev-only', () => {
    const log = new Recorder(admissionPolicy());
    log.node('1', '0', [0.7, 0.71], { gate: [0.56, 0.57, 0.55, 0.56] });
    log.node('2', '0', [0.6, 0.61], { gate: [0.6, 0.61, 0.59, 0.6] });
    expect(replayAdmission(log.s.events, admissionPolicy()).replayedBest).toBe('2');
    expect(replayAdmission(log.s.events, admissionPolicy({ mode: 'dev-only' })).replayedBest).toBe('1');
  });
});
