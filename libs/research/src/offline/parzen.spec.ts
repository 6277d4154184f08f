import type { Parameter } from '@hypotree/task';
import { seededRandom } from '@hypotree/policy';
import { favouredConfigs, MODEL_MIN_EVALUATED, parzenModel, type Evaluated } from './parzen.js';
import { conditionalSpace } from '../task.fixture.js';

const space: Parameter[] = [
  { name: 'x', type: 'float', min: 0, max: 1, log: false, default: 0.5 },
  { name: 'mode', type: 'choice', choices: ['a', 'b', 'c'], default: 'a' },
];

// Twelve evaluations: the score peaks at x = 0.8 with mode b; failures near x = 0.
function evaluations(): Evaluated[] {
  return Array.from({ length: 12 }, (_, i) => {
    const x = i / 11;
    const mode = ['a', 'b', 'c'][i % 3]!;
    if (x < 0.1) return { config: { x, mode }, score: 'failed' as const };
    return { config: { x, mode }, score: 1 - Math.abs(x - 0.8) + (mode === 'b' ? 0.2 : 0) };
  });
}

describe('the Parzen model of evaluated configurations', () => {
  it('says nothing before it has enough evaluations', () => {
    expect(parzenModel(space, evaluations().slice(0, MODEL_MIN_EVALUATED - 1))).toBeUndefined();
    expect(favouredConfigs(space, evaluations().slice(0, MODEL_MIN_EVALUATED - 1), { count: 2, random: seededRandom(1), accept: () => true })).toEqual([]);
  });

  it('rates the region of the best evaluations above the region of the worst and of the failures', () => {
    const model = parzenModel(space, evaluations())!;
    expect(model.logRatio('x', 0.8)).toBeGreaterThan(model.logRatio('x', 0.3));
    expect(model.logRatio('x', 0.8)).toBeGreaterThan(model.logRatio('x', 0.02));
    expect(model.logRatio('mode', 'b')).toBeGreaterThan(model.logRatio('mode', 'c'));
  });

  it('proposes configurations in the favoured region, best first, only those `accept` allows', () => {
    const favoured = favouredConfigs(space, evaluations(), { count: 4, random: seededRandom(7), accept: (c) => c.mode !== 'a' });
    expect(favoured).toHaveLength(4);
    expect(favoured.every((f) => f.config.mode !== 'a')).toBe(true);
    expect(favoured.map((f) => f.logRatio)).toEqual([...favoured.map((f) => f.logRatio)].sort((a, b) => b - a));
    const meanX = favoured.reduce((sum, f) => sum + Number(f.config.x), 0) / favoured.length;
    expect(meanX).toBeGreaterThan(0.5);
  });

  it('null case: when the score does not depend on x, its preference for any x averages out over noise draws', () => {
    const informative = parzenModel(space, evaluations())!;
    const signal = informative.logRatio('x', 0.8) - informative.logRatio('x', 0.3);
    let sum = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const noise = seededRandom(seed);
      const model = parzenModel(space, evaluations().map((e) => ({ config: e.config, score: noise() })))!;
      sum += model.logRatio('x', 0.8) - model.logRatio('x', 0.3);
    }
    expect(Math.abs(sum / 40)).toBeLessThan(signal / 4);
  });
});

describe('parzenModel on a space with conditional parameters', () => {
  it('rates a configuration by its active parameters only, and fits a parameter on the evaluations where it was active', () => {
    // Good evaluations never had a perturbation (their kicks, 300, never ran); bad ones kicked 300 times.
    const evaluated = Array.from({ length: 12 }, (_, i) => {
      const good = i < 4;
      return { config: { lr: good ? 0.03 : 0.0003 * (i + 1), perturbation: good ? 'none' : 'kick', kicks: 300, kickSize: 4 }, score: good ? 0.9 : 0.5 };
    });
    const model = parzenModel(conditionalSpace, evaluated)!;
    const calm = { lr: 0.03, perturbation: 'none', kicks: 2, kickSize: 4 };
    expect(model.rate({ ...calm, kicks: 300, kickSize: 30 })).toBe(model.rate(calm));
    // kicks = 300 is where every bad evaluation was active and no good one was: it is disfavoured.
    expect(model.logRatio('kicks', 300)).toBeLessThan(0);
  });
});
