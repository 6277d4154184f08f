import { outOfSpace } from '@hypotree/task';
import type { ClaimedInsight } from './claims.js';
import { spaceFillingSamples } from './explore.js';
import { configKey, encode } from '../space.js';
import { demoSpace } from '../task.fixture.js';

const claim = (id: string, param: string, relation: 'above' | 'below' | 'equals', value: number | string, outcome: 'hurts' | 'helps'): ClaimedInsight =>
  ({ id, nodeId: '0', scope: 'global', kind: outcome === 'hurts' ? 'constraint' : 'finding', text: id, evidence: [], distiller: { kind: 'offline' }, active: true, eventId: id, claim: { param, relation, value, outcome, support: 3, of: 3 } }) as ClaimedInsight;

describe('space-filling samples (new directions from the root)', () => {
  const base = { seed: 7, firstIndex: 0, count: 8, tried: new Set<string>(), constraints: [], findings: [] };

  it('cover every stratum of each numeric range once per design, in space, deterministically', () => {
    const samples = spaceFillingSamples(demoSpace, base);
    expect(samples).toHaveLength(8);
    expect(spaceFillingSamples(demoSpace, base)).toEqual(samples);
    for (const s of samples) for (const p of demoSpace) expect(outOfSpace(p, s.config[p.name])).toBeUndefined();
    const lr = demoSpace[0]! as Extract<(typeof demoSpace)[number], { type: 'float' }>;
    const strata = samples.map((s) => Math.min(7, Math.floor(encode(lr, Number(s.config.lr)) * 8))).sort();
    expect(strata).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(samples.map((s) => s.config.activation)).size).toBe(3);
  });

  it('continue where the root left off and never repeat a tried configuration', () => {
    const first = spaceFillingSamples(demoSpace, base);
    const tried = new Set(first.map((s) => configKey(s.config, demoSpace)));
    const next = spaceFillingSamples(demoSpace, { ...base, firstIndex: 8, tried });
    expect(next).toHaveLength(8);
    expect(next.filter((s) => tried.has(configKey(s.config, demoSpace)))).toEqual([]);
  });

  it('avoid regions constraints rule out and move into regions findings say help', () => {
    const samples = spaceFillingSamples(demoSpace, {
      ...base,
      constraints: [claim('no-high-lr', 'lr', 'above', 0.1, 'hurts')],
      findings: [claim('relu', 'activation', 'equals', 'relu', 'helps'), claim('wide', 'width', 'above', 64, 'helps')],
    });
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(Number(s.config.lr)).toBeLessThanOrEqual(0.1);
      expect(s.config.activation).toBe('relu');
      expect(Number(s.config.width)).toBeGreaterThan(64);
      expect(s.findingsUsed).toEqual(['relu', 'wide']);
    }
  });
});
