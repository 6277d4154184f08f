import { EventScript } from '@hypotree/tree/testing';
import { admissionPolicy } from './admission.js';
import { replayAdmission } from './replay.js';

// Counterfactual replay: the recorded search below was decided by the fixed test with `admission.sigmas=1`.
function recorded(): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.8, 0.82, 0.78]);
  s.gate('0', [0.8, 0.81, 0.79, 0.8, 0.8, 0.81, 0.79, 0.8]); // the baseline's 8 gate runs, a candidate's 4
  s.propose('1', '0', { lr: 0.1 }); // +0.03 over the root, noise ≈ 0.012: clears 1σ, not 3σ
  s.succeed('1', [0.83, 0.84, 0.82]);
  s.gate('1', [0.83, 0.84, 0.82, 0.83]);
  s.decide('1', true, 'verified');
  s.propose('1.1', '1', { lr: 0.2 }); // +0.005 over node 1: inside the noise, rejected without a gate call
  s.succeed('1.1', [0.835, 0.845, 0.825]);
  s.decide('1.1', false, 'dev-below-threshold');
  s.propose('2', '0', { lr: 9 });
  s.failExperiment('2', 'crash');
  return s;
}

describe('replaying admission under another policy', () => {
  it('under the recorded policy, every decision comes out the same', () => {
    const replay = replayAdmission(recorded().events, admissionPolicy({ test: 'fixed', sigmas: 1 }));
    expect(replay.decisions.map((d) => [d.nodeId, d.replayed.outcome, d.changed])).toEqual([
      ['1', 'admitted', false],
      ['1.1', 'rejected', false],
    ]);
    expect(replay.unrecordedGates).toEqual([]);
    expect(replay.replayedBest).toBe('1');
  });

  it('a stricter policy rejects what was admitted, names the rule, and changes the best node', () => {
    const replay = replayAdmission(recorded().events, admissionPolicy({ test: 'fixed', sigmas: 3 }));
    expect(replay.decisions[0]).toMatchObject({ nodeId: '1', recorded: { outcome: 'admitted', rule: 'verified' }, replayed: { outcome: 'rejected', rule: 'dev-below-threshold' }, changed: true });
    expect(replay.replayedBest).toBe('0');
  });

  it('a laxer policy that wants a gate the log never recorded reports it instead of inventing a score', () => {
    const replay = replayAdmission(recorded().events, admissionPolicy({ test: 'fixed', sigmas: 0, minRelativeGain: 0 }));
    expect(replay.decisions.find((d) => d.nodeId === '1.1')).toMatchObject({ replayed: { outcome: 'needs-gate', rule: 'dev-cleared' }, changed: true });
    expect(replay.unrecordedGates).toEqual(['1.1']);
  });

  it('a dev-only policy admits on dev alone, with no gate at all', () => {
    const replay = replayAdmission(recorded().events, admissionPolicy({ test: 'fixed', mode: 'dev-only', sigmas: 0, minRelativeGain: 0 }));
    expect(replay.decisions.map((d) => [d.nodeId, d.replayed.outcome])).toEqual([
      ['1', 'admitted'],
      ['1.1', 'admitted'],
    ]);
    expect(replay.replayedBest).toBe('1.1');
  });
});
