import { fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { criticalValue, devGroups, differenceNoise, gateGroups, pooledNoise, PRIOR_DF, shrunk, typicalNoise } from './noise.js';

const runs = (...values: number[]) => values.map((value, seed) => ({ seed, value }));

describe('noise: pooled run variance', () => {
  it('weighs each group by its degrees of freedom: Σ(nᵢ−1)·sᵢ² / Σ(nᵢ−1)', () => {
    // [1, 3]: s² = 2 on 1 df; [2, 4, 6]: s² = 4 on 2 df.
    const noise = pooledNoise([[1, 3], [2, 4, 6]]);
    expect(noise.variance).toBeCloseTo(10 / 3, 12);
    expect(noise.df).toBe(3);
  });

  it('groups of one run add nothing, and no repeated runs at all is no estimate', () => {
    expect(pooledNoise([[1, 3], [7], [2, 4, 6]])).toEqual(pooledNoise([[1, 3], [2, 4, 6]]));
    expect(pooledNoise([[7], [8]])).toEqual({ variance: 0, df: 0 });
    expect(pooledNoise([])).toEqual({ variance: 0, df: 0 });
  });
});

describe('noise: the typical configuration', () => {
  const CHI2_1_MEDIAN = 0.4549;

  it('is the median of the groups\' sample variances (an odd count), rescaled by the median of χ²₁, whatever the groups\' order', () => {
    // Sample variances 8, 0.5 and 2: the median is 2.
    const noise = typicalNoise([[0, 4], [0, 1], [0, 2]]);
    expect(noise.variance).toBeCloseTo(2 / CHI2_1_MEDIAN, 10);
    expect(noise.df).toBe(3);
  });

  it('takes the mean of the two middle variances for an even count', () => {
    // Sample variances 18, 0.5, 8 and 2: the middle two are 2 and 8.
    const noise = typicalNoise([[0, 6], [0, 1], [0, 4], [0, 2]]);
    expect(noise.variance).toBeCloseTo(5 / CHI2_1_MEDIAN, 10);
    expect(noise.df).toBe(4);
  });

  it('is robust to one unstable configuration, where a pooled mean is not', () => {
    const groups = [[0.5, 0.51], [0.6, 0.61], [0.7, 0.71], [0.2, 0.9]];
    expect(typicalNoise(groups).variance).toBeLessThan(0.001);
    expect(pooledNoise(groups).variance).toBeGreaterThan(0.05);
  });

  it('skips groups of one run, and is no estimate without repeated runs', () => {
    expect(typicalNoise([[0, 4], [3], [0, 1], [0, 2]])).toEqual(typicalNoise([[0, 4], [0, 1], [0, 2]]));
    expect(typicalNoise([[3], [4]])).toEqual({ variance: 0, df: 0 });
  });
});

describe('noise: one configuration shrunk toward the typical one', () => {
  it(`adds ${PRIOR_DF} prior degrees of freedom at the prior's variance to the node's own spread`, () => {
    // Own: [1, 3], s² = 2 on 1 df; prior 5 on 3 df → (1·2 + 4·5) / (1 + 4).
    expect(shrunk(runs(1, 3), { variance: 5, df: 3 })).toEqual({ variance: 22 / 5, df: 5 });
  });

  it('two runs that agree are not noiseless when the search has seen noise', () => {
    expect(shrunk(runs(0.7, 0.7), { variance: 0.01, df: 6 }).variance).toBeCloseTo((4 * 0.01) / 5, 12);
  });

  it('keeps the node\'s own spread when the search has no estimate, and is no estimate from one run alone', () => {
    expect(shrunk(runs(1, 3), { variance: 0, df: 0 })).toEqual({ variance: 2, df: 1 });
    expect(shrunk(runs(1), { variance: 0, df: 0 })).toEqual({ variance: 0, df: 0 });
    expect(shrunk(runs(1), { variance: 5, df: 2 })).toEqual({ variance: 5, df: PRIOR_DF });
  });
});

describe('noise: the difference of two means', () => {
  it('has the standard error √(va/na + vb/nb) and Welch–Satterthwaite degrees of freedom', () => {
    // va = 4/2 = 2, vb = 9/3 = 3: se = √5, df = 25 / (2²/3 + 3²/5).
    const { se, df } = differenceNoise({ noise: { variance: 4, df: 3 }, n: 2 }, { noise: { variance: 9, df: 5 }, n: 3 });
    expect(se).toBeCloseTo(Math.sqrt(5), 12);
    expect(df).toBeCloseTo(25 / (4 / 3 + 9 / 5), 10);
  });

  it('lets a side without degrees of freedom add variance but no degrees of freedom, and has none when neither has any', () => {
    const oneSided = differenceNoise({ noise: { variance: 4, df: 0 }, n: 2 }, { noise: { variance: 9, df: 5 }, n: 3 });
    expect(oneSided.se).toBeCloseTo(Math.sqrt(5), 12);
    expect(oneSided.df).toBeCloseTo(25 / (9 / 5), 10);
    const otherSide = differenceNoise({ noise: { variance: 9, df: 5 }, n: 3 }, { noise: { variance: 4, df: 0 }, n: 2 });
    expect(otherSide.df).toBeCloseTo(25 / (9 / 5), 10);
    expect(differenceNoise({ noise: { variance: 0, df: 0 }, n: 2 }, { noise: { variance: 0, df: 0 }, n: 3 })).toEqual({ se: 0, df: 0 });
  });
});

describe('noise: critical values', () => {
  it("is Student's one-sided quantile at the level, and infinite without degrees of freedom", () => {
    expect(criticalValue(0.05, 10)).toBeCloseTo(1.812461, 5);
    expect(criticalValue(0.2, 3)).toBeCloseTo(0.978472, 5);
    expect(criticalValue(0.05, 0)).toBe(Infinity);
  });
});

describe('noise: the groups of a search', () => {
  it('dev groups are every evaluated node\'s dev runs, the baseline\'s included; gate groups every gate evaluation\'s runs', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5, 0.52]);
    s.gate('0', 0.49);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.6, 0.62, 0.64]);
    s.propose('2', '0', { lr: 0.2 });
    s.failExperiment('2');
    s.propose('3', '0', { lr: 0.3 });
    s.succeed('3', [0.4]);
    s.gate('3', 0.41);
    const tree = fold(s.events);
    expect(devGroups(tree)).toEqual([[0.5, 0.52], [0.6, 0.62, 0.64], [0.4]]);
    expect(gateGroups(tree)).toEqual([[0.49], [0.41]]);
  });
});
