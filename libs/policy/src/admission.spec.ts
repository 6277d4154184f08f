import type { NodeId, SearchEventData } from '@hypotree/events';
import { fold, type SearchTree } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { admissionPolicy, AdmissionParamsSchema, baselineGateSeeds, candidateGateSeeds } from './admission.js';
import { policyRef } from './decision.js';

type Budget = SearchEventData<'SearchStarted'>['budget'];

// Hand-computed reference numbers for two nodes of two runs each, 0.02 apart (sample variance 0.0002 on
// 1 df): the search's typical variance is 0.0002 / 0.4549 (the median of χ²₁); each node's is shrunk
// toward it with 4 prior df, (0.0002 + 4 · 0.0002 / 0.4549) / 5 = 3.91727e-4; the difference of the two
// means has se = √(2 · 3.91727e-4 / 2) = 0.0197921 on (Welch) 10 df.
const SE = 0.0197921;
const T = { '0.8': 0.879058, '0.95': 1.812461, '0.99': 2.763769 }; // Student's t quantiles on 10 df

let gateCalls = 0;
function gateRuns(s: EventScript, nodeId: NodeId, values: number[]): void {
  gateCalls += 1;
  s.add({ type: 'GateEvaluated', data: { nodeId, commit: nodeId === '0' ? 'c0' : `commit-${nodeId}`, runs: values.map((value, seed) => ({ seed, value })), gateEvaluationsUsed: gateCalls } });
}

/** Baseline dev [0.5, 0.52] and gate [0.5, 0.52]; node 1 under the root with these dev runs (and gate runs, if given). */
function twoRunSearch(dev: number[], gate?: number[], budget: Budget = { experiments: 10, parallel: 1, gateEvaluations: 5 }, direction: 'maximize' | 'minimize' = 'maximize'): SearchTree {
  gateCalls = 0;
  const s = new EventScript('s1');
  s.start({ budget, task: { name: 'd', specPath: 'p', specHash: 'h', repo: 'r', baseCommit: 'c0', objective: { metric: 'm', direction } } });
  s.baseline([0.5, 0.52]);
  gateRuns(s, '0', [0.5, 0.52]);
  s.propose('1', '0', { lr: 0.1 });
  s.succeed('1', dev);
  if (gate) gateRuns(s, '1', gate);
  return fold(s.events);
}

describe('admission parameters', () => {
  it('default to the calibrated, verified test at the levels the README states', () => {
    expect(admissionPolicy().params).toEqual({ test: 'calibrated', alpha: 0.05, devAlpha: 0.2, minRelativeGain: 0.002, sigmas: 1, gateMargin: 0, maxRuns: 6, mode: 'verified', gateScarcity: 2, gateRuns: 4, refusedBar: false, gateExtend: 0 });
  });

  it('refuses levels outside (0, 1), a negative floor or margin, and a maximum of runs below one', () => {
    for (const bad of [{ alpha: 0 }, { alpha: 1 }, { devAlpha: 0 }, { devAlpha: 1 }, { minRelativeGain: -0.1 }, { sigmas: -1 }, { gateMargin: -0.1 }, { maxRuns: 0 }, { maxRuns: 2.5 }, { gateScarcity: -1 }, { gateRuns: -1 }, { gateRuns: 1.5 }]) {
      expect(AdmissionParamsSchema.safeParse(bad).success).toBe(false);
    }
    for (const edge of [{ minRelativeGain: 0 }, { sigmas: 0 }, { gateMargin: 0 }, { maxRuns: 1 }, { alpha: 0.999 }]) {
      expect(AdmissionParamsSchema.safeParse(edge).success).toBe(true);
    }
  });

  it('are recorded in every decision under admission version 5', () => {
    const admission = admissionPolicy({ alpha: 0.01 });
    const decision = admission.decide(twoRunSearch([0.6, 0.62]), '1');
    expect(decision.policy).toEqual({ name: 'admission', version: 5, params: admission.params });
    expect(admission).toMatchObject({ name: 'admission', version: 5 });
  });

  it("run gateRuns seeds per candidate gate evaluation and twice as many (at least the dev repeats) for the baseline; 0 is the task's repeats, as before version 5", () => {
    expect(candidateGateSeeds(admissionPolicy().params)).toBe(4);
    expect(baselineGateSeeds(admissionPolicy().params, 4)).toBe(8);
    expect(baselineGateSeeds(admissionPolicy({ gateRuns: 1 }).params, 4)).toBe(4);
    expect(candidateGateSeeds(admissionPolicy({ gateRuns: 0 }).params)).toBeUndefined();
    expect(baselineGateSeeds(admissionPolicy({ gateRuns: 0 }).params, 4)).toBe(4);
  });
});

describe('admission: the calibrated dev screen', () => {
  const admission = admissionPolicy();

  it('asks the gate when the dev gain clears t(1 − devAlpha) × se of the shrunk spreads, and records those numbers', () => {
    const decision = admission.decide(twoRunSearch([0.6, 0.62]), '1');
    expect(decision).toMatchObject({ action: 'gate', rule: 'dev-cleared', nodeId: '1' });
    expect(decision.deltas.dev).toBeCloseTo(0.1, 10);
    expect(decision.deltas.se).toBeCloseTo(SE, 6);
    expect(decision.deltas.df).toBeCloseTo(10, 8);
    expect(decision.deltas.critical).toBeCloseTo(T['0.8'], 5);
    expect(decision.deltas.threshold).toBeCloseTo(T['0.8'] * SE, 6);
    expect(decision.reason).toBe('dev gain 0.1 over 0 clears 0.0174: ask the gate');
  });

  it('rejects a gain below the threshold and more than one standard error short of it, saying by how much and why', () => {
    const tree = twoRunSearch([0.49, 0.51]);
    const decision = admission.decide(tree, '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'dev-below-threshold' });
    expect(decision.evidence).toEqual([tree.nodes.get('1')!.result!.eventId, tree.nodes.get('0')!.result!.eventId]);
    expect(decision.deltas.dev).toBeCloseTo(-0.01, 10);
    expect(decision.reason).toBe(
      "dev gain -0.01 over 0 does not clear 0.0174 (t(0.8, 10 df) × se 0.0198, each node's spread shrunk toward the search's typical one, floor 0.00102)",
    );
  });

  it('uses the gain relative to the parent as a floor when the runs are noiseless', () => {
    // Noiseless: se 0, so only the floor minRelativeGain · |parent| = 0.002 · 0.5 = 0.001 counts.
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5, 0.5]);
    s.gate('0', 0.5);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.5011, 0.5011]);
    s.propose('2', '0', { lr: 0.2 });
    s.succeed('2', [0.5009, 0.5009]);
    const tree = fold(s.events);
    expect(admission.decide(tree, '1')).toMatchObject({ action: 'gate', deltas: { threshold: expect.closeTo(0.001, 12) } });
    expect(admission.decide(tree, '2')).toMatchObject({ action: 'reject', rule: 'dev-below-threshold' });
    expect(admissionPolicy({ minRelativeGain: 0.01 }).decide(tree, '1')).toMatchObject({ action: 'reject', deltas: { threshold: expect.closeTo(0.005, 12) } });
  });

  it('takes the floor from the size of the parent\'s score, so a negative score has a positive floor', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([-2, -2]);
    s.gate('0', -2);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [-1.995, -1.995]);
    const decision = admission.decide(fold(s.events), '1');
    expect(decision.deltas.threshold).toBeCloseTo(0.004, 12);
    expect(decision).toMatchObject({ action: 'gate' });
  });

  it('orients a minimised metric: a lower score is the gain', () => {
    expect(admission.decide(twoRunSearch([0.4, 0.42], undefined, undefined, 'minimize'), '1')).toMatchObject({ action: 'gate', deltas: { dev: expect.closeTo(0.1, 10) } });
    expect(admission.decide(twoRunSearch([0.6, 0.62], undefined, undefined, 'minimize'), '1')).toMatchObject({ action: 'reject', deltas: { dev: expect.closeTo(-0.1, 10) } });
  });

  it('screens at the devAlpha it is given', () => {
    // A gain of 0.025 clears t(0.8) · se = 0.0174 but not t(0.95) · se = 0.0359.
    expect(admissionPolicy({ devAlpha: 0.2 }).decide(twoRunSearch([0.535, 0.555]), '1').action).toBe('gate');
    const strict = admissionPolicy({ devAlpha: 0.05 }).decide(twoRunSearch([0.535, 0.555]), '1');
    expect(strict.deltas.critical).toBeCloseTo(T['0.95'], 5);
    expect(strict.action).not.toBe('gate');
  });
});

describe('admission: adaptive repeats', () => {
  /** Node 1 with `n` runs alternating 0.5 + gain ± 0.01 over a baseline of four runs. */
  function close(gain: number, n: number, gated = false): SearchTree {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5, 0.51, 0.49, 0.5]);
    s.gate('0', 0.5);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', Array.from({ length: n }, (_, i) => 0.5 + gain + (i % 2 === 0 ? 0.01 : -0.01)));
    if (gated) s.gate('1', 0.6);
    return fold(s.events);
  }

  it('asks for as many more runs as the candidate has, up to maxRuns in all', () => {
    expect(admissionPolicy().decide(close(0.006, 2), '1')).toMatchObject({ action: 'repeat', runs: 2 });
    expect(admissionPolicy().decide(close(0.005, 4), '1')).toMatchObject({ action: 'repeat', runs: 2 });
    expect(admissionPolicy({ maxRuns: 3 }).decide(close(0.006, 2), '1')).toMatchObject({ action: 'repeat', runs: 1 });
  });

  it('says why it asks, citing the dev evidence', () => {
    const tree = close(0.006, 2);
    const decision = admissionPolicy().decide(tree, '1');
    expect(decision.rule).toBe('dev-close');
    expect(decision.reason).toMatch(/^dev gain 0\.006 over 0 is within one standard error of 0\.0\d+: run 2 more seed\(s\)$/);
    expect(decision.evidence).toEqual([tree.nodes.get('1')!.result!.eventId, tree.nodes.get('0')!.result!.eventId]);
  });

  it('never repeats a node that was already gated, nor once it has maxRuns', () => {
    expect(admissionPolicy().decide(close(0.006, 2, true), '1')).toMatchObject({ action: 'reject', rule: 'dev-below-threshold' });
    expect(admissionPolicy({ maxRuns: 2 }).decide(close(0.006, 2), '1')).toMatchObject({ action: 'reject', rule: 'dev-below-threshold' });
  });
});

describe('admission: the calibrated gate', () => {
  it('admits when the gate gain clears t(1 − alpha / gate budget) × se, recording the gate numbers and all four evidence events', () => {
    const tree = twoRunSearch([0.6, 0.62], [0.56, 0.58], { experiments: 10, parallel: 1, gateEvaluations: 5 });
    const decision = admissionPolicy().decide(tree, '1');
    expect(decision).toMatchObject({ action: 'admit', rule: 'verified' });
    expect(decision.deltas.gate).toBeCloseTo(0.06, 10);
    expect(decision.deltas.gateLevel).toBeCloseTo(0.01, 12);
    expect(decision.deltas.gateSe).toBeCloseTo(SE, 6);
    expect(decision.deltas.gateDf).toBeCloseTo(10, 8);
    expect(decision.deltas.gateThreshold).toBeCloseTo(T['0.99'] * SE, 6);
    // The dev numbers stay in the record next to the gate's.
    expect(decision.deltas.threshold).toBeCloseTo(T['0.8'] * SE, 6);
    const [n, p] = [tree.nodes.get('1')!, tree.nodes.get('0')!];
    expect(decision.evidence).toEqual([n.result!.eventId, p.result!.eventId, n.gate!.eventId, p.gate!.eventId]);
    expect(decision.reason).toBe('dev gain 0.1 > 0.0174 and gate gain 0.06 > 0.0547 (t(1 − 0.05/5, 10 df) × se 0.0198) over 0');
  });

  it('spends alpha over the gate budget: the same gate gain is admitted under a budget of one call and rejected under five', () => {
    const under = (gateEvaluations: number) => admissionPolicy().decide(twoRunSearch([0.6, 0.62], [0.545, 0.565], { experiments: 10, parallel: 1, gateEvaluations }), '1');
    expect(under(1)).toMatchObject({ action: 'admit', deltas: { gateLevel: 0.05 } });
    const rejected = under(5);
    expect(rejected).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
    expect(rejected.reason).toBe('dev gain 0.1 cleared the threshold but the gate gain 0.045 does not clear 0.0547 (t(1 − 0.05/5, 10 df) × se 0.0198) over 0');
  });

  it('takes the floor from the parent\'s gate score (not its dev score) when the gate is noiseless', () => {
    // One gate run each: no spread, so the floor decides: 0.002 · 0.5 (the parent's gate) = 0.001,
    // where the parent's dev score 0.51 would give 0.00102.
    const gated = (value: number) => {
      const s = new EventScript('s1');
      s.start();
      s.baseline([0.5, 0.52]);
      s.gate('0', 0.5);
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.6, 0.62]);
      s.gate('1', value);
      return fold(s.events);
    };
    expect(admissionPolicy().decide(gated(0.50101), '1')).toMatchObject({ action: 'admit' });
    const decision = admissionPolicy().decide(gated(0.5008), '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'gate-disagrees', deltas: { gateThreshold: expect.closeTo(0.001, 12), gateSe: 0, gateDf: 0 } });
    expect(decision.deltas).not.toHaveProperty('gateCritical');
  });

  it('orients a minimised metric on the gate', () => {
    expect(admissionPolicy().decide(twoRunSearch([0.4, 0.42], [0.44, 0.46], undefined, 'minimize'), '1')).toMatchObject({ action: 'admit', deltas: { gate: expect.closeTo(0.06, 10) } });
    expect(admissionPolicy().decide(twoRunSearch([0.4, 0.42], [0.56, 0.58], undefined, 'minimize'), '1')).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
  });
});

describe('admission: the fixed test', () => {
  const fixed = admissionPolicy({ test: 'fixed', sigmas: 2, gateMargin: 0.03 });

  it('needs a dev gain above sigmas standard errors of the two nodes\' own runs, or the floor', () => {
    // Each node's stdev is √0.0002 on 2 runs: noise = √(0.0002/2 + 0.0002/2) = 0.01414, threshold 2 · 0.01414.
    const decision = fixed.decide(twoRunSearch([0.525, 0.545]), '1');
    expect(decision.deltas.noise).toBeCloseTo(Math.sqrt(0.0002), 10);
    expect(decision.deltas.threshold).toBeCloseTo(2 * Math.sqrt(0.0002), 10);
    expect(decision).toMatchObject({ action: 'reject', rule: 'dev-below-threshold' });
    expect(decision.reason).toBe('dev gain 0.025 over 0 does not clear 0.0283 (2σ noise 0.0141, floor 0.00102)');
    expect(fixed.decide(twoRunSearch([0.54, 0.56]), '1')).toMatchObject({ action: 'gate' });
  });

  it('needs the gate to beat the parent\'s gate by more than the margin', () => {
    const admitted = fixed.decide(twoRunSearch([0.6, 0.62], [0.545, 0.565]), '1');
    expect(admitted).toMatchObject({ action: 'admit', deltas: { gate: expect.closeTo(0.045, 10), gateMargin: 0.03 } });
    expect(admitted.reason).toBe('dev gain 0.1 > 0.0283 and gate gain 0.045 > 0.03 (margin 0.03) over 0');
    expect(fixed.decide(twoRunSearch([0.6, 0.62], [0.525, 0.545]), '1')).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
  });

  it('never asks for more runs', () => {
    expect(fixed.decide(twoRunSearch([0.525, 0.545]), '1').action).toBe('reject');
  });
});

describe('admission: what it refuses to decide on, and the gate it cannot use', () => {
  const admission = admissionPolicy();

  it('throws for a node without a successful experiment, and for a node without a scored admitted ancestor', () => {
    const s = new EventScript('s1');
    s.start();
    s.propose('1', '0', { lr: 0.1 });
    expect(() => admission.decide(fold(s.events), '1')).toThrow('admission: node 1 has no successful experiment to decide on');
    expect(() => admission.decide(fold(s.events), '7')).toThrow('admission: node 7 has no successful experiment to decide on');
    s.succeed('1', [0.6]);
    expect(() => admission.decide(fold(s.events), '1')).toThrow('admission: node 1 has no admitted ancestor with a score');
    expect(() => admission.decide({ ...twoRunSearch([0.6, 0.62]), objective: undefined }, '1')).toThrow('admission: node 1 has no successful experiment to decide on');
  });

  it('admits on dev alone in dev-only mode, and still rejects a gain that does not clear', () => {
    const devOnly = admissionPolicy({ mode: 'dev-only' });
    const decision = devOnly.decide(twoRunSearch([0.6, 0.62]), '1');
    expect(decision).toMatchObject({ action: 'admit', rule: 'dev-improvement' });
    expect(decision.reason).toBe('dev gain 0.1 over 0 clears 0.0174; no gate in dev-only mode');
    expect(devOnly.decide(twoRunSearch([0.49, 0.51]), '1')).toMatchObject({ action: 'reject', rule: 'dev-below-threshold' });
  });

  it('rejects a node whose gate evaluation failed, naming the failure and citing its event', () => {
    gateCalls = 0;
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5, 0.52]);
    gateRuns(s, '0', [0.5, 0.52]);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.6, 0.62]);
    const failed = s.add({ type: 'GateFailed', data: { nodeId: '1', commit: 'commit-1', kind: 'timeout', detail: `${'x'.repeat(250)}`, gateEvaluationsUsed: 2 } });
    const decision = admission.decide(fold(s.events), '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'gate-failed' });
    expect(decision.reason).toBe(`the gate evaluation of 1 failed (timeout): ${'x'.repeat(200)}`);
    expect(decision.evidence.at(-1)).toBe(failed.id);
    expect(decision.evidence).toHaveLength(3);
  });

  it('rejects when the parent has no gate score to compare with', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5, 0.52]);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.6, 0.62]);
    const decision = admission.decide(fold(s.events), '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'parent-not-gated', reason: 'parent 0 has no gate score to compare with' });
  });

  it('asks the gate while a call is left, and rejects once none is', () => {
    expect(admission.decide(twoRunSearch([0.6, 0.62], undefined, { experiments: 10, parallel: 1, gateEvaluations: 2 }), '1').action).toBe('gate');
    const spent = admission.decide(twoRunSearch([0.6, 0.62], undefined, { experiments: 10, parallel: 1, gateEvaluations: 1 }), '1');
    expect(spent).toMatchObject({ action: 'reject', rule: 'gate-budget-exhausted', reason: 'dev gain 0.1 clears the threshold but no gate evaluation is left' });
  });
});

describe('admission: the gate is kept for candidates that could become the best once it is scarce', () => {
  // Node 1 is admitted (dev 0.70, gate-verified); node 2, a sibling, clears the dev screen over the
  // root with `dev2`. The budget has `experiments` experiments and `gates` gate calls (the root's and
  // node 1's spent).
  let bestResult = '';
  function sibling(dev2: number[], experiments: number, gates: number): SearchTree {
    gateCalls = 0;
    const s = new EventScript('s1');
    s.start({ budget: { experiments, parallel: 1, gateEvaluations: gates } });
    s.baseline([0.5, 0.52]);
    gateRuns(s, '0', [0.5, 0.52]);
    s.propose('1', '0', { lr: 0.1 });
    bestResult = s.succeed('1', [0.7, 0.71]).id;
    gateRuns(s, '1', [0.7, 0.71]);
    s.decide('1', true);
    s.propose('2', '0', { lr: 0.2 });
    s.succeed('2', dev2);
    return fold(s.events);
  }

  it('rejects a dev-cleared candidate below the best admitted node when fewer gate calls are left than half the experiments', () => {
    // 3 gate calls left, 18 experiments left: scarce.
    const decision = admissionPolicy().decide(sibling([0.6, 0.61], 20, 5), '2');
    expect(decision).toMatchObject({ action: 'reject', rule: 'gate-reserved' });
    expect(decision.reason).toContain("does not beat the best admitted node 1's 0.705, and 3 gate evaluation(s) are left for 18 more experiment(s)");
    expect(decision.evidence).toContain(bestResult); // the best admitted node's result is part of the reason
  });

  it('still gates a scarce-time candidate that beats every admitted node on dev', () => {
    expect(admissionPolicy().decide(sibling([0.8, 0.81], 20, 5), '2')).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
  });

  it('null case: with gate calls to spare, a candidate below the best still gets its gate call', () => {
    // 3 left for 4 experiments: 3 × 2 > 4.
    expect(admissionPolicy().decide(sibling([0.6, 0.61], 6, 5), '2')).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
  });

  it('with gateScarcity 0 (and in searches started before version 4) every dev-cleared candidate is gated', () => {
    expect(admissionPolicy({ gateScarcity: 0 }).decide(sibling([0.6, 0.61], 20, 5), '2')).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
  });
});

describe('admission with refusedBar: the gate is not asked again about what dev ranks below a candidate it refused', () => {
  // Node 1 (dev 0.70) cleared dev over the root and the gate refused it (gate no better than the
  // root's); node 2, its sibling, clears the dev screen with `dev2`. Gate calls to spare (no scarcity).
  let refusedResult = '';
  function afterRefusal(dev2: number[], options: { underAnotherParent?: boolean } = {}): { tree: SearchTree; candidate: string } {
    gateCalls = 0;
    const s = new EventScript('s1');
    s.start({ budget: { experiments: 10, parallel: 1, gateEvaluations: 8 } });
    s.baseline([0.5, 0.52]);
    gateRuns(s, '0', [0.5, 0.52]);
    // With another parent: node 1 is admitted (dev 0.6), and the candidate is its child.
    if (options.underAnotherParent) {
      s.propose('1', '0', { lr: 0.3 });
      s.succeed('1', [0.6, 0.61]);
      gateRuns(s, '1', [0.6, 0.61]);
      s.decide('1', true);
    }
    const refused = options.underAnotherParent ? '2' : '1';
    s.propose(refused, '0', { lr: 0.1 });
    refusedResult = s.succeed(refused, [0.7, 0.71]).id;
    gateRuns(s, refused, [0.5, 0.52]);
    s.decide(refused, false, 'gate-disagrees');
    const candidate = options.underAnotherParent ? '1.1' : '2';
    s.propose(candidate, options.underAnotherParent ? '1' : '0', { lr: 0.2 });
    s.succeed(candidate, dev2);
    return { tree: fold(s.events), candidate };
  }
  const decide = (params: { refusedBar?: boolean }, dev2: number[], options: { underAnotherParent?: boolean } = {}) => {
    const { tree, candidate } = afterRefusal(dev2, options);
    return admissionPolicy(params).decide(tree, candidate);
  };

  it('rejects, without a gate call, a dev-cleared candidate whose dev score is no better than a refused sibling\'s', () => {
    const decision = decide({ refusedBar: true }, [0.65, 0.66]);
    expect(decision).toMatchObject({ action: 'reject', rule: 'gate-dominated' });
    expect(decision.reason).toContain("node 1's dev score 0.705 was at least as good and the gate refused it against 0");
    expect(decision.evidence).toContain(refusedResult);
  });

  it('gates a candidate that beats every refused sibling on dev (a new dev record still gets its call)', () => {
    expect(decide({ refusedBar: true }, [0.8, 0.81])).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
  });

  it('null case: a refusal against another parent does not bar a candidate', () => {
    // Node 1.1 beats its parent 1 (0.605) on dev but not the refused root child 2 (0.705).
    expect(decide({ refusedBar: true }, [0.65, 0.66], { underAnotherParent: true })).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
  });

  it('bars a candidate whose dev score equals a refused sibling\'s ("at least as good")', () => {
    expect(decide({ refusedBar: true }, [0.7, 0.71])).toMatchObject({ action: 'reject', rule: 'gate-dominated' });
  });

  it('measures a candidate against the best refused sibling, whatever the order they were refused in', () => {
    for (const order of [[0.8, 0.7], [0.7, 0.8]]) {
      gateCalls = 0;
      const s = new EventScript('s1');
      s.start({ budget: { experiments: 10, parallel: 1, gateEvaluations: 8 } });
      s.baseline([0.5, 0.52]);
      gateRuns(s, '0', [0.5, 0.52]);
      order.forEach((dev, i) => {
        const id = String(i + 1);
        s.propose(id, '0', { lr: 0.1 * (i + 1) });
        s.succeed(id, [dev, dev + 0.01]);
        gateRuns(s, id, [0.5, 0.52]);
        s.decide(id, false, 'gate-disagrees');
      });
      s.propose('3', '0', { lr: 0.35 });
      s.succeed('3', [0.75, 0.76]);
      const decision = admissionPolicy({ refusedBar: true }).decide(fold(s.events), '3');
      expect(decision).toMatchObject({ action: 'reject', rule: 'gate-dominated' });
      expect(decision.reason).toContain(`node ${order.indexOf(0.8) + 1}'s dev score 0.805`);
    }
  });

  it('null case: a sibling that was admitted, or rejected for another reason, is no bar', () => {
    for (const rule of ['verified', 'gate-reserved']) {
      gateCalls = 0;
      const s = new EventScript('s1');
      s.start({ budget: { experiments: 10, parallel: 1, gateEvaluations: 8 } });
      s.baseline([0.5, 0.52]);
      gateRuns(s, '0', [0.5, 0.52]);
      s.propose('1', '0', { lr: 0.1 });
      s.succeed('1', [0.7, 0.71]);
      if (rule === 'verified') gateRuns(s, '1', [0.7, 0.71]);
      s.decide('1', rule === 'verified', rule);
      s.propose('2', '0', { lr: 0.2 });
      s.succeed('2', [0.65, 0.66]);
      expect(admissionPolicy({ refusedBar: true }).decide(fold(s.events), '2')).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
    }
  });

  it('off by default: the same candidate is gated', () => {
    expect(decide({}, [0.65, 0.66])).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
  });
});

describe('admission with gateExtend: a second gate look for a near miss', () => {
  // Baseline: 4 dev runs, 8 gate runs (0.49–0.52, mean 0.505); node 1 clears dev (0.605) and its
  // first look has 4 gate runs around `gate1`. Gate budget 10: without second looks the threshold
  // is 0.0234 (alpha / 10); with them each look tests at alpha / 20, 0.0261 now and 0.0185 with 8
  // more runs at the same spread.
  let looks: string[] = [];
  function gated(gate1: number, options: { budget?: number; second?: number[]; secondFails?: boolean } = {}): SearchTree {
    gateCalls = 0;
    looks = [];
    const s = new EventScript('s1');
    s.start({ budget: { experiments: 20, parallel: 1, gateEvaluations: options.budget ?? 10 }, policies: { admission: policyRef(admissionPolicy({ gateExtend: 8 })) } });
    s.baseline([0.5, 0.52, 0.51, 0.49]);
    gateRuns(s, '0', [0.5, 0.52, 0.51, 0.49, 0.5, 0.52, 0.51, 0.49]);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.6, 0.61]);
    gateCalls += 1;
    const runs = [gate1 - 0.01, gate1 + 0.01, gate1, gate1].map((value, i) => ({ seed: i + 1, value }));
    looks.push(s.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs, gateEvaluationsUsed: gateCalls } }).id);
    if (options.second || options.secondFails) {
      gateCalls += 1;
      const data = { nodeId: '1', commit: 'commit-1', gateEvaluationsUsed: gateCalls, extendsGate: looks[0]! };
      const event = options.secondFails
        ? s.add({ type: 'GateFailed', data: { ...data, kind: 'timeout', detail: 'slow' } })
        : s.add({ type: 'GateEvaluated', data: { ...data, runs: options.second!.map((value, i) => ({ seed: i + 5, value })) } });
      looks.push(event.id);
    }
    return fold(s.events);
  }

  it('asks for more gate runs of a candidate whose gain falls short now but would clear the threshold those runs set', () => {
    const decision = admissionPolicy({ gateExtend: 8 }).decide(gated(0.525), '1');
    expect(decision).toMatchObject({ action: 'gate', rule: 'gate-close', runs: 8 });
    expect(decision.deltas.gate).toBeCloseTo(0.02, 9);
    expect(decision.deltas.gateThreshold).toBeCloseTo(0.0261, 4);
    expect(decision.deltas.gateLevel).toBe(0.0025);
    expect(decision.reason).toContain('t(1 − 0.05/(2·10)');
    expect(decision.reason).toContain('would clear 0.0185, the threshold with 8 more gate run(s)');
  });

  it('null cases: off by default, and no second look for a gain that more runs would not make clear', () => {
    expect(admissionPolicy().decide(gated(0.525), '1')).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
    expect(admissionPolicy({ gateExtend: 8 }).decide(gated(0.52), '1')).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
    expect(admissionPolicy({ gateExtend: 8 }).decide(gated(0.49), '1')).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
    expect(admissionPolicy({ gateExtend: 8, test: 'fixed', gateMargin: 0.03 }).decide(gated(0.525), '1')).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
  });

  it('pays for the second look with the first: a gain the single look admits at alpha / G is not admitted at alpha / 2G without more runs', () => {
    // 0.025 clears 0.0234 (alpha / 10) but not 0.0261 (alpha / 20).
    expect(admissionPolicy().decide(gated(0.53), '1')).toMatchObject({ action: 'admit', rule: 'verified' });
    expect(admissionPolicy({ gateExtend: 8 }).decide(gated(0.53), '1')).toMatchObject({ action: 'gate', rule: 'gate-close' });
  });

  it('admits on both looks\' runs when together they clear the threshold, naming both looks', () => {
    const decision = admissionPolicy({ gateExtend: 8 }).decide(gated(0.525, { second: [0.53, 0.52, 0.525, 0.535, 0.52, 0.53, 0.525, 0.53] }), '1');
    expect(decision).toMatchObject({ action: 'admit', rule: 'verified' });
    expect(decision.reason).toContain('on 12 gate runs, 4 of them from the first look');
    expect(decision.evidence).toEqual(expect.arrayContaining(looks));
  });

  it('rejects after the second look when the runs together fall short, and never asks for a third', () => {
    const decision = admissionPolicy({ gateExtend: 8 }).decide(gated(0.525, { second: [0.5, 0.51, 0.5, 0.49, 0.5, 0.51, 0.5, 0.5] }), '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
    expect(decision.reason).toContain('on 12 gate runs, 4 of them from the first look');
    // A second look that leaves the gain just short (0.0171 against 0.0174 on 12 runs) gets no third,
    // although 8 more runs would set a threshold it clears.
    const short = admissionPolicy({ gateExtend: 8 }).decide(gated(0.525, { second: [0.5106, 0.5306, 0.5206, 0.5206, 0.5106, 0.5306, 0.5206, 0.5206] }), '1');
    expect(short.deltas.gate).toBeCloseTo(0.0171, 4);
    expect(short).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
  });

  it('rejects a candidate whose second look failed (gate-failed), and spends no look the budget does not hold', () => {
    expect(admissionPolicy({ gateExtend: 8 }).decide(gated(0.525, { secondFails: true }), '1')).toMatchObject({ action: 'reject', rule: 'gate-failed' });
    // A gain of 0.017: short of 0.0197 (alpha / 4) and of 0.0214 (alpha / 6), past 0.0153 (alpha / 6 with 8 more runs).
    // Two calls in the budget, both spent: refused. Three: a second look.
    expect(admissionPolicy({ gateExtend: 8 }).decide(gated(0.522, { budget: 2 }), '1')).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
    expect(admissionPolicy({ gateExtend: 8 }).decide(gated(0.522, { budget: 3 }), '1')).toMatchObject({ action: 'gate', rule: 'gate-close' });
  });
});
