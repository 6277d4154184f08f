// Property tests of the calibrated admission over many seeded synthetic searches: in a world where
// no candidate is better (pure noise) at most alpha of the searches may admit one, the fixed test
// must fail that (it is what the calibration replaces), and a real effect must still be found.
import { fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { admissionPolicy, type AdmissionParams } from './admission.js';

function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * One synthetic search: a baseline (4 dev and 4 gate runs), then `candidates` children of the root
 * with 2 dev runs each (more when admission asks for them), gated when dev clears, 2 gate runs. Scores are `mean + effect + sd·noise`.
 * Returns how many candidates were admitted.
 */
function simulate(seed: number, params: Partial<AdmissionParams>, effect: number, candidates = 24, gateBudget = 12): number {
  const noise = gaussian(seed);
  const sd = 0.01;
  const runs = (n: number, shift = 0) => Array.from({ length: n }, () => 0.8 + shift + sd * noise());
  const admission = admissionPolicy(params);
  const s = new EventScript(`s${seed}`);
  s.start({ budget: { experiments: candidates, parallel: 1, gateEvaluations: gateBudget } });
  s.baseline(runs(4));
  s.gate('0', 0); // replaced below: the script's gate takes one value, the baseline's gate needs runs
  s.events.pop();
  s.add({ type: 'GateEvaluated', data: { nodeId: '0', commit: 'c0', runs: runs(4).map((value, seed) => ({ seed, value })), gateEvaluationsUsed: 1 } });
  let gateCalls = 1;
  let admitted = 0;
  for (let i = 1; i <= candidates; i += 1) {
    const id = String(i);
    s.propose(id, '0', { x: i });
    s.succeed(id, runs(2, effect));
    let decision = admission.decide(fold(s.events), id);
    for (let seed = 2; decision.action === 'repeat'; ) {
      const more = runs(decision.runs ?? 1, effect).map((value) => ({ seed: seed++, value }));
      s.add({ type: 'ExperimentRepeated', data: { nodeId: id, commit: `commit-${id}`, runs: more } });
      decision = admission.decide(fold(s.events), id);
    }
    if (decision.action === 'gate') {
      gateCalls += 1;
      s.add({ type: 'GateEvaluated', data: { nodeId: id, commit: `commit-${id}`, runs: runs(2, effect).map((value, seed) => ({ seed, value })), gateEvaluationsUsed: gateCalls } });
      decision = admission.decide(fold(s.events), id);
    }
    s.decide(id, decision.action === 'admit', decision.rule);
    if (decision.action === 'admit') admitted += 1;
  }
  return admitted;
}

const SEARCHES = Number(process.env.HYPOTREE_CALIBRATION_SEARCHES ?? 300);
const CANDIDATES = 24;

/** The share of searches that admitted at least one candidate. */
function admittingShare(params: Partial<AdmissionParams>, effect: number): number {
  let admitting = 0;
  for (let seed = 1; seed <= SEARCHES; seed += 1) if (simulate(seed, params, effect, CANDIDATES) > 0) admitting += 1;
  return admitting / SEARCHES;
}

/** The share of candidates admitted over many searches. */
function admittedShare(params: Partial<AdmissionParams>, effect: number, gateBudget = 12): number {
  let admitted = 0;
  for (let seed = 1; seed <= SEARCHES; seed += 1) admitted += simulate(seed, params, effect, CANDIDATES, gateBudget);
  return admitted / (SEARCHES * CANDIDATES);
}

describe('calibrated admission under noise', () => {
  const alpha = 0.05;
  // A binomial upper bound: the observed share may exceed alpha by sampling error alone.
  const bound = alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / SEARCHES);

  it(`admits a candidate that is not better in at most alpha = ${alpha} of searches (within the sampling bound)`, () => {
    expect(admittingShare({}, 0)).toBeLessThanOrEqual(bound);
  });

  it('is what the fixed test fails at: one standard error on dev and a zero gate margin admit noise in most searches', () => {
    expect(admittingShare({ test: 'fixed', sigmas: 1, gateMargin: 0 }, 0)).toBeGreaterThan(bound);
  });

  it('still admits most candidates with a real effect of five noise standard deviations (given a gate call for each)', () => {
    expect(admittedShare({}, 0.05, CANDIDATES + 1)).toBeGreaterThan(0.8);
  });
});
