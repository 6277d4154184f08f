import type { RecordedSearchEvent } from '@hypotree/events';
import { explainNode } from './explain.js';
import { EventScript, scriptAdmission } from './testing/index.js';

/**
 * A recorded search with one node of every kind: 1 admitted on the gate (and later pruned, with an
 * insight drawn from it), 1.1 rejected on dev, 1.2 crashed after an expired lease, 2 proposed with
 * an insight in view; the search completed with 1 as best and ran the held-out test.
 */
function recorded(): { s: EventScript; ids: Record<string, string> } {
  const s = new EventScript('s1');
  const ids: Record<string, string> = {};
  s.start();
  ids.baseline = s.baseline([0.6, 0.62]).id;
  ids.rootGate = s.gate('0', 0.61).id;
  s.propose('1', '0', { lr: 0.1 }, 'raise lr');
  ids.result1 = s.succeed('1', [0.7, 0.72]).id;
  ids.gate1 = s.gate('1', 0.7).id;
  const data = {
    nodeId: '1',
    policy: { name: 'admission', version: 4, params: { alpha: 0.05 } },
    rule: 'verified',
    reason: 'dev gain 0.1 > 0.02 and gate gain 0.09 > 0.05 over 0',
    evidence: [ids.result1, ids.baseline, ids.gate1, ids.rootGate],
    deltas: { dev: 0.1, threshold: 0.02 },
  };
  ids.admit1 = s.add({ type: 'HypothesisAdmitted', data }).id;
  ids.insight = s.add({
    type: 'InsightDistilled',
    data: { insightId: 'lr-helps', nodeId: '1', scope: 'subtree', kind: 'finding', text: 'raising lr helped', evidence: [ids.result1, ids.admit1], distiller: { kind: 'offline' } },
  }).id;
  s.propose('1.1', '1', { width: 8 });
  s.succeed('1.1', [0.65, 0.66]);
  s.decide('1.1', false, 'dev-below-threshold');
  s.propose('1.2', '1', { width: 64 });
  s.dispatch('1.2');
  s.add({ type: 'ExperimentFailed', data: { experimentId: '1.2#1', nodeId: '1.2', kind: 'lease-expired', detail: 'no word from an executor' } });
  s.dispatch('1.2', 2);
  s.add({ type: 'ExperimentFailed', data: { experimentId: '1.2#2', nodeId: '1.2', kind: 'crash', detail: 'Traceback: out of memory\nmore' } });
  s.add({ type: 'NodePruned', data: { nodeId: '1', rule: 'children-falsified', reason: 'the last 2 children failed', policy: { name: 'refinement', version: 2, params: {} } } });
  s.add({
    type: 'HypothesisProposed',
    data: { nodeId: '2', parentId: '0', title: 'switch to relu', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { act: 'relu' } }, proposer: { kind: 'llm', model: 'm-1', promptHash: 'abc123' }, insightsConsidered: ['lr-helps', 'gone'], insightsRelaxed: ['gone'] },
  });
  s.complete('1');
  s.add({ type: 'FinalTestEvaluated', data: { baseline: { nodeId: '0', commit: 'c0', value: 0.6 }, best: { nodeId: '1', commit: 'commit-1', value: 0.69 }, relativeGain: 0.15, gateEvaluations: 2 } });
  return { s, ids };
}

const explain = (events: RecordedSearchEvent[], nodeId: string) => explainNode(events, nodeId);

describe('explainNode', () => {
  it('tells why an admitted node was admitted: the policy, rule, reason, deltas and every evidence id resolved', () => {
    const { s, ids } = recorded();
    const x = explain(s.events, '1');
    expect(x).toMatchObject({ nodeId: '1', parentId: '0', status: 'admitted', best: true });
    expect(x.decision).toMatchObject({ outcome: 'admitted', policy: { name: 'admission', version: 4, params: { alpha: 0.05 } }, rule: 'verified', deltas: { dev: 0.1, threshold: 0.02 } });
    expect(x.decision!.reason).toContain('gate gain 0.09');
    expect(x.decision!.evidence.map((e) => [e.id, e.type, e.nodeId])).toEqual([
      [ids.result1, 'ExperimentSucceeded', '1'],
      [ids.baseline, 'BaselineMeasured', '0'],
      [ids.gate1, 'GateEvaluated', '1'],
      [ids.rootGate, 'GateEvaluated', '0'],
    ]);
    expect(x.decision!.evidence[2]!.summary).toBe('node 1 gate 0.7 over 1 run (gate call 2)');
    expect(x.decision!.event).toMatchObject({ id: ids.admit1, type: 'HypothesisAdmitted' });
  });

  it('gives the proposal, the parent it rested on, the runs per seed with their spread, the gate, the insights and the code', () => {
    const { s } = recorded();
    const x = explain(s.events, '1');
    expect(x.proposal).toMatchObject({ title: 'raise lr', change: { kind: 'params', set: { lr: 0.1 } }, parentEvidence: { nodeId: '0', dev: 0.61, gate: 0.61 } });
    expect(x.dev).toMatchObject({ runs: [{ seed: 0, value: 0.7 }, { seed: 1, value: 0.72 }], mean: 0.71 });
    expect(x.dev!.stdev).toBeCloseTo(0.01414, 4);
    expect(x.gate).toMatchObject({ mean: 0.7, event: { type: 'GateEvaluated' } });
    expect(x.insights).toEqual([expect.objectContaining({ id: 'lr-helps', kind: 'finding', text: 'raising lr helped', active: true })]);
    expect(x.code).toMatchObject({ commit: 'commit-1', ref: 'refs/hypotree/s1/1', baseCommit: 'c0', filesChanged: ['config.json'] });
    expect(x.pruned).toMatchObject({ rule: 'children-falsified', policy: { name: 'refinement' } });
  });

  it('explains a rejected node by its rule, and a failed one by each attempt and the failure', () => {
    const { s } = recorded();
    expect(explain(s.events, '1.1').decision).toMatchObject({ outcome: 'rejected', rule: 'dev-below-threshold' });
    const failed = explain(s.events, '1.2');
    expect(failed.status).toBe('failed');
    expect(failed.decision).toBeUndefined();
    expect(failed.attempts.map((a) => [a.experimentId, a.outcome])).toEqual([
      ['1.2#1', 'failed: lease-expired'],
      ['1.2#2', 'failed: crash'],
    ]);
    expect(failed.attempts[1]!.failure!.detail).toContain('out of memory');
  });

  it('shows what a proposer was shown, an unknown insight kept as unknown, and what it relaxed', () => {
    const { s } = recorded();
    const x = explain(s.events, '2');
    expect(x.proposal).toMatchObject({ proposer: { kind: 'llm', model: 'm-1', promptHash: 'abc123' }, insightsRelaxed: ['gone'] });
    expect(x.proposal!.insightsConsidered).toEqual([{ id: 'lr-helps', kind: 'finding', text: 'raising lr helped' }, { id: 'gone' }]);
    expect(x.attempts).toEqual([]);
    expect(x.dev).toBeUndefined();
  });

  it('explains the root: the baseline, its gate and the held-out test, without a proposal', () => {
    const { s } = recorded();
    const x = explain(s.events, '0');
    expect(x.proposal).toBeUndefined();
    expect(x.dev).toMatchObject({ mean: 0.61, event: { type: 'BaselineMeasured' } });
    expect(x.finalTest).toMatchObject({ baseline: 0.6, best: 0.69, bestNodeId: '1', relativeGain: 0.15 });
    expect(x.best).toBe(false);
  });

  it('names both gate looks of a node that had two, a failed second look included; one look is not listed', () => {
    const twoLooks = (second: 'runs' | 'fails') => {
      const s = new EventScript('s2');
      s.start({ policies: { admission: scriptAdmission({ gateExtend: 2 }) } });
      s.baseline([0.6]);
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.7]);
      const first = s.gate('1', 0.65);
      const look = { nodeId: '1', commit: 'commit-1', gateEvaluationsUsed: 2, extendsGate: first.id };
      const other = second === 'runs'
        ? s.add({ type: 'GateEvaluated', data: { ...look, runs: [{ seed: 1, value: 0.66 }, { seed: 2, value: 0.67 }] } })
        : s.add({ type: 'GateFailed', data: { ...look, kind: 'timeout', detail: 'slow' } });
      return { x: explain(s.events, '1'), first, other };
    };
    const both = twoLooks('runs');
    expect(both.x.gate).toMatchObject({ runs: [{ seed: 0 }, { seed: 1 }, { seed: 2 }], event: { id: both.other.id } });
    expect(both.x.gateLooks!.map((l) => [l.id, l.summary])).toEqual([
      [both.first.id, 'node 1 gate 0.65 over 1 run (gate call 1)'],
      [both.other.id, 'node 1 second gate look 0.665 over 2 runs (gate call 2)'],
    ]);
    const failed = twoLooks('fails');
    expect(failed.x.gate).toMatchObject({ runs: [{ seed: 0, value: 0.65 }], event: { id: failed.first.id } });
    expect(failed.x.gateLooks!.map((l) => [l.id, l.summary])).toEqual([
      [failed.first.id, 'node 1 gate 0.65 over 1 run (gate call 1)'],
      [failed.other.id, 'node 1 second gate look failed: timeout (gate call 2)'],
    ]);
    expect(explain(recorded().s.events, '1').gateLooks).toBeUndefined();
  });

  it('refuses a node the search does not have, naming the ones it has', () => {
    const { s } = recorded();
    expect(() => explain(s.events, '9.9')).toThrow(/^search s1 has no node 9\.9 \(it has 5 nodes: 0, 1, 1\.1, 1\.2, 2\)$/);
  });

  it('resolves an evidence id the search does not hold as such, not as something else', () => {
    const { s } = recorded();
    const events = s.events.map((e) => (e.type === 'HypothesisAdmitted' ? { ...e, data: { ...e.data, evidence: [...e.data.evidence, 'missing-id'] } } : e)) as RecordedSearchEvent[];
    expect(explain(events, '1').decision!.evidence.at(-1)).toMatchObject({ id: 'missing-id', type: '(not in this search)', revision: -1 });
  });
});
