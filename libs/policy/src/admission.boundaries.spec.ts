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

describe('admission records and parameters', () => {
  it('records only finite numbers: a noiseless screen has no critical value to record', () => {
    const decision = admissionPolicy().decide(noiseless(0.6), '1');
    expect(decision.action).toBe('gate');
    expect(decision.deltas).not.toHaveProperty('critical');
    expect(Object.values(decision.deltas).every(Number.isFinite)).toBe(true);
    expect(decision.deltas).toMatchObject({ dev: expect.closeTo(0.1, 12), se: 0, df: 0 });
  });

  it('accepts each test and mode by name', () => {
    expect(admissionPolicy({ test: 'calibrated', mode: 'verified' }).params).toMatchObject({ test: 'calibrated', mode: 'verified' });
    expect(admissionPolicy({ test: 'fixed', mode: 'dev-only' }).params).toMatchObject({ test: 'fixed', mode: 'dev-only' });
  });
});

describe('the reserved gate at its boundaries', () => {
  /**
   * Node 1 admitted at dev 0.705 (and `more` further admitted siblings with these dev scores), then
   * candidate `c` clearing the dev screen over the root with `candidate`; `experiments` and `gates` in
   * the budget. Gate calls spent: the root's and one per admitted node.
   */
  function search(candidate: number[], experiments: number, gates: number, more: number[][] = []) {
    let calls = 0;
    const s = new EventScript('s1');
    const gate = (nodeId: string, values: number[]) =>
      s.add({ type: 'GateEvaluated', data: { nodeId, commit: nodeId === '0' ? 'c0' : `commit-${nodeId}`, runs: values.map((value, seed) => ({ seed, value })), gateEvaluationsUsed: ++calls } });
    s.start({ budget: { experiments, parallel: 1, gateEvaluations: gates } });
    s.baseline([0.5, 0.52]);
    gate('0', [0.5, 0.52]);
    const admitted = [[0.7, 0.71], ...more];
    admitted.forEach((dev, i) => {
      const id = String(i + 1);
      s.propose(id, '0', { lr: i });
      s.succeed(id, dev);
      gate(id, dev);
      s.decide(id, true);
    });
    const c = String(admitted.length + 1);
    s.propose(c, '0', { lr: 99 });
    s.succeed(c, candidate);
    return { tree: fold(s.events), c };
  }

  it('is scarce from the moment calls left × gateScarcity equals the experiments left', () => {
    // 2 experiments used; 8 in the budget leave 6; 5 gate calls with 2 spent leave 3: 3 × 2 = 6.
    const { tree, c } = search([0.6, 0.61], 8, 5);
    expect(admissionPolicy().decide(tree, c)).toMatchObject({ action: 'reject', rule: 'gate-reserved' });
    // One more experiment left: 6 < 7, still scarce; one fewer: 6 > 5, calls to spare.
    expect(admissionPolicy().decide(search([0.6, 0.61], 9, 5).tree, c)).toMatchObject({ rule: 'gate-reserved' });
    expect(admissionPolicy().decide(search([0.6, 0.61], 7, 5).tree, c)).toMatchObject({ action: 'gate' });
  });

  it('keeps the gate from a candidate that only equals the best admitted node on dev', () => {
    const { tree, c } = search([0.7, 0.71], 20, 5);
    expect(admissionPolicy().decide(tree, c)).toMatchObject({ action: 'reject', rule: 'gate-reserved' });
  });

  it('measures a candidate against the best admitted node, not the last one admitted, and names the earlier of two equal bests', () => {
    // Node 2 (dev 0.6) was admitted after node 1 (0.705): a candidate at 0.65 beats node 2, not node 1.
    const later = search([0.645, 0.655], 20, 6, [[0.595, 0.605]]);
    const decision = admissionPolicy().decide(later.tree, later.c);
    expect(decision).toMatchObject({ action: 'reject', rule: 'gate-reserved' });
    expect(decision.reason).toContain("best admitted node 1's 0.705");
    const tie = search([0.6, 0.61], 20, 6, [[0.7, 0.71]]);
    const named = admissionPolicy().decide(tie.tree, tie.c);
    expect(named.reason).toContain("best admitted node 1's 0.705");
    expect(named.evidence).toContain(tie.tree.nodes.get('1')!.result!.eventId);
    expect(named.evidence).not.toContain(tie.tree.nodes.get('2')!.result!.eventId);
  });
});
