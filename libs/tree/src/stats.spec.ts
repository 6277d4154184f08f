import { orient, relativeGain, summarize } from './stats.js';

const runs = (...values: number[]) => values.map((value, seed) => ({ seed, value }));

describe('run statistics', () => {
  it('summarize gives the runs, their mean and their sample standard deviation (n − 1)', () => {
    const scores = summarize(runs(1, 2, 3, 6));
    expect(scores.runs.map((r) => r.value)).toEqual([1, 2, 3, 6]);
    expect(scores.mean).toBe(3);
    // Squares about the mean: 4 + 1 + 0 + 9 = 14, over n − 1 = 3.
    expect(scores.stdev).toBeCloseTo(Math.sqrt(14 / 3), 12);
  });

  it('a single run has its value as mean and no spread', () => {
    expect(summarize(runs(0.7))).toMatchObject({ mean: 0.7, stdev: 0 });
  });

  it('orient keeps a maximised value and negates a minimised one, so larger is always better', () => {
    expect(orient(0.3, 'maximize')).toBe(0.3);
    expect(orient(0.3, 'minimize')).toBe(-0.3);
  });

  it('relativeGain is the oriented gain over the baseline, relative to the baseline size', () => {
    expect(relativeGain(0.6, 0.5, 'maximize')).toBeCloseTo(0.2, 6);
    expect(relativeGain(0.4, 0.5, 'maximize')).toBeCloseTo(-0.2, 6);
    // A lower loss is a gain; the baseline's size is its absolute value.
    expect(relativeGain(0.4, 0.5, 'minimize')).toBeCloseTo(0.2, 6);
    expect(relativeGain(-2, -1, 'maximize')).toBeCloseTo(-1, 6);
    // Epsilon keeps a zero baseline finite.
    expect(relativeGain(0.5, 0, 'maximize', 0.5)).toBe(1);
    expect(Number.isFinite(relativeGain(0.5, 0, 'maximize'))).toBe(true);
    expect(relativeGain(1, 0, 'maximize')).toBeCloseTo(1e9, 0);
  });
});
