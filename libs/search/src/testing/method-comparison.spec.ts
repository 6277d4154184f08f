// The statistics bench/ao.mjs prints when it sets one search method against another: a ratio of
// means with a bootstrap interval over seeds (paired when both ran the same seeds) and a seed-by-seed
// count. The null case is two methods that differ only by noise; the hostile ones are results
// that a careless merge produces (a seed twice, seeds that do not match, nothing to divide by).
import { seededRandom, standardNormal } from '@hypotree/policy';
import { ratioInterval, seedBySeed, type SeedScore } from './method-comparison.js';

const scores = (values: readonly number[], firstSeed = 1): SeedScore[] => values.map((score, i) => ({ seed: firstSeed + i, score }));

/**
 * Two methods on `n` seeds: each seed has its own difficulty (sd `seedSd`, shared by both methods,
 * as a seed fixes a search's first draws), each search its own luck (sd `luckSd`), and `a` gains `effect` on average.
 */
function twoMethods(random: () => number, n: number, { seedSd = 0.2, luckSd = 0.05, effect = 0 } = {}): [SeedScore[], SeedScore[]] {
  const seedEffects = Array.from({ length: n }, () => 0.5 + seedSd * standardNormal(random));
  return [scores(seedEffects.map((s) => s + effect + luckSd * standardNormal(random))), scores(seedEffects.map((s) => s + luckSd * standardNormal(random)))];
}

describe('ratioInterval', () => {
  it('two methods that made the same searches: ratio 1, no spread, paired', () => {
    const same = scores([0.4, 0.9, 0.1, 0.7]);
    expect(ratioInterval(same, same)).toEqual({ ratio: 1, paired: true, low: 1, high: 1 });
  });

  it('null case: methods that differ only by noise get a 90 % interval that covers 1 about 90 % of the time', () => {
    const random = seededRandom(2026, 11);
    const trials = 200;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const [a, b] = twoMethods(random, 20);
      const interval = ratioInterval(a, b)!;
      expect(interval.paired).toBe(true);
      if (interval.low <= 1 && 1 <= interval.high) covered += 1;
    }
    // A percentile bootstrap on 20 seeds covers a little under its level; far under would make HTR's "ties" look like losses or wins.
    expect(covered / trials).toBeGreaterThan(0.8);
    expect(covered / trials).toBeLessThan(0.97);
  });

  it('sees a real gain that the seeds’ own spread would hide, because it pairs them', () => {
    const [a, b] = twoMethods(seededRandom(7), 20, { seedSd: 0.25, luckSd: 0.03, effect: 0.06 });
    const paired = ratioInterval(a, b)!;
    expect(paired.paired).toBe(true);
    expect(paired.low).toBeGreaterThan(1);
    // The same numbers with `b`'s seeds renamed: nothing can be paired, the seed difficulty is noise again.
    const unpaired = ratioInterval(a, b.map((r) => ({ ...r, seed: r.seed + 100 })))!;
    expect(unpaired.paired).toBe(false);
    expect(unpaired.ratio).toBeCloseTo(paired.ratio, 12);
    expect(unpaired.low).toBeLessThan(1);
    expect(unpaired.high - unpaired.low).toBeGreaterThan(3 * (paired.high - paired.low));
  });

  it('pairs by seed, not by position: the order results arrive in changes nothing', () => {
    const [a, b] = twoMethods(seededRandom(3), 12, { effect: 0.02 });
    const shuffled = [...b].reverse();
    expect(ratioInterval(a, shuffled)).toEqual(ratioInterval(a, b));
    expect(ratioInterval([...a].reverse(), b)).toEqual(ratioInterval(a, b));
  });

  it('does not pair methods that ran different seeds, even as many', () => {
    const a = scores([0.5, 0.6, 0.7], 1);
    const b = scores([0.5, 0.6, 0.7], 2);
    expect(ratioInterval(a, b)!.paired).toBe(false);
    expect(ratioInterval(a, scores([0.5, 0.6]))!.paired).toBe(false);
  });

  it('refuses what it cannot divide by, and names a seed counted twice or without a score', () => {
    expect(ratioInterval([], scores([0.5]))).toBeUndefined();
    expect(ratioInterval(scores([0.5]), [])).toBeUndefined();
    expect(ratioInterval(scores([0.5, 0.2]), scores([0, 0]))).toBeUndefined();
    expect(ratioInterval(scores([0.5, 0.2]), scores([-0.1, 0.05]))).toBeUndefined();
    expect(() => ratioInterval([...scores([0.5, 0.2]), { seed: 2, score: 0.3 }], scores([0.4, 0.4]))).toThrow(/first method: seed 2 appears twice/);
    expect(() => ratioInterval(scores([0.5]), [{ seed: 1, score: Number.NaN }])).toThrow(/second method: seed 1 has no finite score/);
    expect(() => ratioInterval(scores([0.5]), scores([0.5]), { level: 1 })).toThrow(/level/);
  });

  it('gives the same interval for the same results (seeded), and a wider one at a higher level', () => {
    const [a, b] = twoMethods(seededRandom(5), 15, { effect: 0.01 });
    expect(ratioInterval(a, b)).toEqual(ratioInterval(a, b));
    const ninety = ratioInterval(a, b)!;
    const ninetyNine = ratioInterval(a, b, { level: 0.99 })!;
    expect(ninetyNine.low).toBeLessThanOrEqual(ninety.low);
    expect(ninetyNine.high).toBeGreaterThanOrEqual(ninety.high);
    expect(ninetyNine.high - ninetyNine.low).toBeGreaterThan(ninety.high - ninety.low);
  });
});

describe('seedBySeed', () => {
  it('counts higher, lower and the same on the seeds both ran, and how many only one ran', () => {
    const a = scores([0.5, 0.4, 0.3, 0.9], 1); // seeds 1-4
    const b = scores([0.4, 0.5, 0.2, 0.1, 0.8], 2); // seeds 2-6: the same on 2, lower on 3, higher on 4
    expect(seedBySeed(a, b)).toEqual({ higher: 1, lower: 1, same: 1, unmatched: 3 });
  });

  it('calls a difference within the tolerance the same', () => {
    expect(seedBySeed(scores([0.5]), scores([0.5 + 1e-12]))).toEqual({ higher: 0, lower: 0, same: 1, unmatched: 0 });
    expect(seedBySeed(scores([0.5]), scores([0.51]), 0.02)).toEqual({ higher: 0, lower: 0, same: 1, unmatched: 0 });
  });

  it('null case: noise alone splits the seeds about evenly', () => {
    const [a, b] = twoMethods(seededRandom(11), 400);
    const { higher, lower, same } = seedBySeed(a, b);
    expect(same).toBe(0);
    expect(higher + lower).toBe(400);
    expect(Math.abs(higher - lower)).toBeLessThan(60); // ±3 sd of a fair split of 400
  });

  it('refuses a seed counted twice', () => {
    expect(() => seedBySeed(scores([0.5]), [...scores([0.5]), { seed: 1, score: 0.6 }])).toThrow(/second method: seed 1 appears twice/);
  });
});
