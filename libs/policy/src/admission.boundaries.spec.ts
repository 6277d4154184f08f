import { fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { admissionPolicy } from './admission.js';

// Where a gain equals what it must clear: with no noise and no relative floor, the threshold is 0,
// so an unchanged score sits exactly on it. Equal is not better, on dev and on the gate.

/** Noiseless runs: the root at 0.5 on dev and gate; node 1 with these dev runs and (if given) gate runs. */
function noiseless(dev: number, gate?: number) {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.5, 0.5, 0.5, 0.5]);
  s.add({ type: 'GateEvaluated', data: { nodeId: '0', commit: 'c0', runs: [0.5, 0.5].map((value, seed) => ({ seed, value })), gateEvaluationsUsed: 1 } });
  s.propose('1', '0', { lr: 0.1 });
  s.succeed('1', [dev, dev]);
  if (gate !== undefined) s.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [gate, gate].map((value, seed) => ({ seed, value })), gateEvaluationsUsed: 2 } });
  return fold(s.events);
}

describe('admission at the boundary', () => {
  const admission = admissionPolicy({ minRelativeGain: 0 });

  it('rejects an unchanged dev score outright: not an improvement, and no reason to run more seeds', () => {
    const decision = admission.decide(noiseless(0.5), '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'dev-below-threshold', deltas: { dev: 0, threshold: 0 } });
  });

  it('rejects an unchanged gate score after a dev gain: equal is not agreement', () => {
    expect(admission.decide(noiseless(0.6), '1')).toMatchObject({ action: 'gate' });
    const decision = admission.decide(noiseless(0.6, 0.5), '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'gate-disagrees', deltas: { gate: 0, gateThreshold: 0 } });
    expect(admission.decide(noiseless(0.6, 0.5001), '1')).toMatchObject({ action: 'admit', rule: 'verified' });
  });

  it('takes the floor from the mean of the parent\'s gate runs, not their sum', () => {
    // The parent's gate: two runs at 0.5, so the floor is 0.002 · 0.5 = 0.001 (the sum would make it 0.002).
    expect(admissionPolicy().decide(noiseless(0.6, 0.5015), '1')).toMatchObject({ action: 'admit', deltas: { gateThreshold: expect.closeTo(0.001, 12) } });
  });
});
