import { EventScript } from '@hypotree/tree/testing';
import { fold } from '@hypotree/tree';
import { outOfSpace } from '@hypotree/task';
import { RandomProposer, sampleParameter } from './random-proposer.js';
import { effectiveParams } from '../space.js';
import { demoSpace, taskWith } from '../task.fixture.js';
import { seededRandom } from '@hypotree/policy';

describe('RandomProposer', () => {
  it('samples full in-space configurations, deterministically, ignoring the insights', async () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5]);
    const tree = fold(s.events);
    const request = { tree, task: taskWith(demoSpace), parentId: '0', count: 5, insights: [], parentParams: effectiveParams(tree, '0', demoSpace) };
    const proposals = await new RandomProposer().propose(request);
    expect(proposals).toHaveLength(5);
    expect(await new RandomProposer().propose(request)).toEqual(proposals);
    for (const p of proposals) {
      expect(p.proposer).toEqual({ kind: 'random' });
      const set = p.change.kind === 'params' ? p.change.set : {};
      expect(Object.keys(set)).toEqual(demoSpace.map((q) => q.name));
      for (const q of demoSpace) expect(outOfSpace(q, set[q.name])).toBeUndefined();
    }
  });

  it('draws log-scale parameters log-uniformly: about half the lr draws fall below the geometric midpoint', () => {
    const lr = demoSpace[0]!;
    const random = seededRandom(42);
    const draws = Array.from({ length: 2000 }, () => Number(sampleParameter(lr, random)));
    const below = draws.filter((v) => v < 0.01).length / draws.length;
    expect(below).toBeGreaterThan(0.45);
    expect(below).toBeLessThan(0.55);
  });
});
