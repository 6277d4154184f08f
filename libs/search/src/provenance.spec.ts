import type { RecordedSearchEvent } from '@hypotree/events';
import { EventScript } from '@hypotree/tree/testing';
import { reuseProblems } from './provenance.js';

// Reused evidence must say what its source says: the check `hypotree rebuild` runs on a replay.

function family() {
  const s = new EventScript('s');
  s.start();
  s.baseline([0.5, 0.6]);
  s.propose('1', '0', { a: 1 });
  const result = s.succeed('1', [0.7, 0.8]);
  const gate = s.gate('1', 0.75);
  return { s, result, gate };
}
const byId = (events: readonly RecordedSearchEvent[]) => new Map(events.map((e) => [e.id, e]));

describe('reuseProblems', () => {
  it('accepts reuse that says what its source says, and names each that does not', () => {
    const { s, result, gate } = family();
    const r = new EventScript('r');
    r.add({ type: 'SearchBranched', data: { searchId: 'r', parent: { searchId: 's', revision: 0 }, reason: 'replay' } });
    const source = { searchId: 's', eventId: result.id, nodeId: '1' };
    const outcome = { type: 'ExperimentSucceeded' as const, data: { ...(result.data as object), experimentId: '1#1', nodeId: '1' } as never };
    r.add({ type: 'ExperimentReused', data: { experimentId: '1#1', nodeId: '1', source, outcome } });
    const gateData = gate.data as { commit: string; runs: { seed: number; value: number }[] };
    r.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: gateData.commit, runs: gateData.runs, gateEvaluationsUsed: 1, reusedFrom: { searchId: 's', eventId: gate.id } } });
    r.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit: 'commit-1', runs: [{ seed: 1, value: 0.8 }], reusedFrom: { searchId: 's', eventId: result.id } } });
    const all = byId([...s.events, ...r.events]);
    expect(reuseProblems(r.events, all)).toEqual([]);

    // The same events with another score each, or a source that is not there.
    const forged = new EventScript('f');
    const bad = { ...(result.data as object), experimentId: '1#1', nodeId: '1', runs: [{ seed: 0, value: 0.99 }] } as never;
    forged.add({ type: 'ExperimentReused', data: { experimentId: '1#1', nodeId: '1', source, outcome: { type: 'ExperimentSucceeded', data: bad } } });
    forged.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: gateData.commit, runs: [{ seed: 0, value: 0.99 }], gateEvaluationsUsed: 1, reusedFrom: { searchId: 's', eventId: gate.id } } });
    forged.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit: 'commit-1', runs: [{ seed: 1, value: 0.81 }], reusedFrom: { searchId: 's', eventId: result.id } } });
    forged.add({ type: 'ModelCalled', data: { nodeId: '0', purpose: 'propose', model: 'm', promptHash: 'p', reply: '{}', usage: { promptTokens: 1, completionTokens: 1 }, attempts: 1, reusedFrom: { searchId: 's', eventId: 'nowhere' } } });
    const problems = reuseProblems(forged.events, byId([...s.events, ...forged.events]));
    expect(problems).toEqual([
      expect.stringMatching(/^search-f@0 \(ExperimentReused\): its outcome differs from its source/),
      expect.stringMatching(/^search-f@1 \(GateEvaluated\): its gate runs are not its source/),
      expect.stringMatching(/^search-f@2 \(BaselineMeasured\): its runs of commit-1 are not its source/),
      'search-f@3 (ModelCalled): its source nowhere (search s) is not in the family\'s log',
    ]);
  });
});
