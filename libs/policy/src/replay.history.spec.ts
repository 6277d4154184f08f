import type { NodeId, SearchEventData } from '@hypotree/events';
import { fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { admissionPolicy, baselineGateSeeds } from './admission.js';
import { policyRef } from './decision.js';
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
    this.s.start({ budget, policies: { admission: policyRef(policy) } });
    this.s.baseline([0.5, 0.51, 0.49, 0.5]);
    // The baseline's gate runs as many seeds as the policy asks (twice a candidate's).
    if (rootGate) this.gate('0', Array.from({ length: baselineGateSeeds(policy.params, 4) }, (_, i) => [0.5, 0.51, 0.49, 0.5][i % 4]!));
  }

  /** A gate look: the first, or a second one extending `first` with the seeds after its runs. */
  gate(nodeId: NodeId, values: number[] | 'fail', first?: { eventId: string; runs: unknown[] }): void {
    this.gateCalls += 1;
    const commit = nodeId === '0' ? 'c0' : `commit-${nodeId}`;
    const look = { nodeId, commit, gateEvaluationsUsed: this.gateCalls, ...(first ? { extendsGate: first.eventId } : {}) };
    const from = first?.runs.length ?? 0;
    if (values === 'fail') this.s.add({ type: 'GateFailed', data: { ...look, kind: 'timeout', detail: 'slow' } });
    else this.s.add({ type: 'GateEvaluated', data: { ...look, runs: values.map((value, k) => ({ seed: from + k, value })) } });
  }

  node(nodeId: NodeId, parentId: NodeId, dev: number[], then: { more?: number[][]; gate?: number[] | 'fail'; second?: number[] } = {}): string {
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
        const first = fold(this.s.events).nodes.get(nodeId)!.gate;
        const look = first ? then.second : then.gate;
        if (!look) return 'undecided';
        this.gate(nodeId, look, first);
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

describe('replaying gate looks of another size', () => {
  // Gate budget 10: node 1's first look (+0.018 on 4 runs) falls short of alpha / 10 and of alpha / 20,
  // and would clear alpha / 20 on 8 more runs; its second look's 8 runs carry it over.
  const secondLooks = admissionPolicy({ gateExtend: 8 });
  function nearMiss(): Recorder {
    const log = new Recorder(secondLooks, { experiments: 20, parallel: 1, gateEvaluations: 10 });
    const rule = log.node('1', '0', [0.6, 0.61], { gate: [0.508, 0.528, 0.518, 0.518], second: [0.52, 0.515, 0.525, 0.52, 0.515, 0.525, 0.52, 0.52] });
    expect(rule).toBe('verified');
    expect(log.s.events.filter((e) => e.type === 'GateEvaluated' && e.data.nodeId === '1').map((e) => e.type === 'GateEvaluated' && e.data.runs.length)).toEqual([4, 8]);
    return log;
  }

  it('uses a recorded second look under a policy that asks for one of its size, and decides the same', () => {
    const replay = replayAdmission(nearMiss().s.events, secondLooks);
    expect(replay.decisions.map((d) => [d.nodeId, d.replayed.outcome, d.changed])).toEqual([['1', 'admitted', false]]);
    expect(replay.unrecordedGates).toEqual([]);
  });

  it('does not pass off a recorded look of another size as the one the other policy asks for: 8 runs are not the 4 asked, nor 4 runs the 8', () => {
    const fewer = replayAdmission(nearMiss().s.events, admissionPolicy({ gateExtend: 4 }));
    expect(fewer.decisions[0]).toMatchObject({ nodeId: '1', replayed: { outcome: 'needs-gate', rule: 'gate-close' }, changed: true });
    expect(fewer.unrecordedGates).toEqual(['1']);
    // A first look of 8 runs was never recorded (the baseline's, 16, neither): nothing is used.
    const larger = replayAdmission(nearMiss().s.events, admissionPolicy({ gateExtend: 8, gateRuns: 8 }));
    expect(larger.decisions[0]).toMatchObject({ nodeId: '1', replayed: { outcome: 'needs-gate', rule: 'parent-not-gated' } });
    expect(larger.unrecordedGates).toEqual(['0']);
  });

  it('without second looks decides the near miss on its first look alone, at the full level, and rejects it', () => {
    const replay = replayAdmission(nearMiss().s.events, admissionPolicy());
    expect(replay.decisions[0]).toMatchObject({ nodeId: '1', recorded: { outcome: 'admitted' }, replayed: { outcome: 'rejected', rule: 'gate-disagrees' }, changed: true });
    expect(replay.replayedBest).toBe('0');
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
