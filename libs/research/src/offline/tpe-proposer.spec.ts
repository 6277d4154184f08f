import { EventScript } from '@hypotree/tree/testing';
import { fold } from '@hypotree/tree';
import { outOfSpace } from '@hypotree/task';
import { TpeProposer } from './tpe-proposer.js';
import { configKey, effectiveParams, triedConfigs } from '../space.js';
import { demoSpace, taskWith } from '../task.fixture.js';

const task = taskWith(demoSpace);
const request = (s: EventScript, parentId = '0', count = 4) => {
  const tree = fold(s.events);
  return { tree, task, parentId, count, insights: [], parentParams: effectiveParams(tree, parentId, demoSpace) };
};

describe('TpeProposer', () => {
  it('draws whole in-space start-up configurations, deterministically, until 8 configurations are evaluated', async () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5]);
    const proposals = await new TpeProposer().propose(request(s));
    expect(proposals).toHaveLength(4);
    expect(await new TpeProposer().propose(request(s))).toEqual(proposals);
    for (const p of proposals) {
      expect(p.title).toMatch(/^tpe start-up sample /);
      const set = p.change.kind === 'params' ? p.change.set : {};
      expect(Object.keys(set)).toEqual(demoSpace.map((q) => q.name));
      for (const q of demoSpace) expect(outOfSpace(q, set[q.name])).toBeUndefined();
    }
  });

  it('proposes untried configurations the Parzen model favours once 8 are evaluated: near the good learning rates, whatever the parent', async () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5]);
    // Good runs have lr near 0.1; bad ones near 0.0003.
    const lrs = [0.1, 0.12, 0.09, 0.0003, 0.0004, 0.0002, 0.0005, 0.0003, 0.0004];
    lrs.forEach((lr, i) => {
      s.propose(String(i + 1), '0', { lr });
      s.succeed(String(i + 1), lr > 0.05 ? [0.9, 0.9] : [0.4, 0.4]);
    });
    const r = request(s, '3');
    const proposals = await new TpeProposer().propose(r);
    expect(proposals).toHaveLength(4);
    const tried = triedConfigs(r.tree, demoSpace);
    for (const p of proposals) {
      expect(p.mechanism).toMatch(/^a Parzen model of the 10 configurations evaluated so far/);
      const set = p.change.kind === 'params' ? p.change.set : {};
      expect(tried.has(configKey(set, demoSpace))).toBe(false);
      expect(Number(set.lr)).toBeGreaterThan(0.005);
    }
  });
});
