import { seededRandom } from '@hypotree/policy';
import { outOfSpace } from '@hypotree/task';
import { EventScript } from '@hypotree/tree/testing';
import { fold, insightsOnPath } from '@hypotree/tree';
import { OfflineProposer } from './proposer.js';
import { recordConstraint } from '../search.fixture.js';
import { distance, nodeSurrogate, TRUST_RADIUS, trustRadius } from './surrogate.js';
import { effectiveParams } from '../space.js';
import { demoSpace, taskWith } from '../task.fixture.js';

const task = taskWith(demoSpace);

// A tree whose root has `n` children at spread-out learning rates: dev accuracy peaks at lr 0.03.
function treeWithLrSweep(n = 10): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.6, 0.6]);
  for (let k = 1; k <= n; k++) {
    const lr = Number((1e-4 * 10 ** ((4 * k) / (n + 1))).toPrecision(3));
    const score = 0.8 - 0.05 * Math.log10(lr / 0.03) ** 2;
    s.propose(String(k), '0', { lr });
    s.succeed(String(k), [score, score]);
    s.decide(String(k), score > 0.6);
  }
  return s;
}

describe('nodeSurrogate', () => {
  it('says nothing until the tree holds enough evaluations for a model (null case)', () => {
    const tree = fold(treeWithLrSweep(5).events);
    expect(nodeSurrogate(tree, '0', demoSpace)).toBeUndefined();
  });

  it('rates a configuration near what beat the node above one near what did not', () => {
    const tree = fold(treeWithLrSweep().events);
    const surrogate = nodeSurrogate(tree, '0', demoSpace)!;
    expect(surrogate).toBeDefined();
    const at = (lr: number) => surrogate.rate({ ...effectiveParams(tree, '0', demoSpace), lr });
    expect(at(0.03)).toBeGreaterThan(at(0.0002));
    expect(at(0.03)).toBeGreaterThan(at(0.9));
    // Its good set is what beat node 0, not just the tree's best quarter.
    expect(surrogate.better).toBeGreaterThanOrEqual(2);
  });

  it('widens the trust radius along admitted steps and narrows it with each child that was not admitted; the root keeps its own', () => {
    const s = treeWithLrSweep();
    const best = '5';
    s.propose(`${best}.1`, best, { width: 64 });
    s.succeed(`${best}.1`, [0.85, 0.85]);
    s.decide(`${best}.1`, true);
    let tree = fold(s.events);
    expect(trustRadius(tree, `${best}.1`)).toBeCloseTo(TRUST_RADIUS.initial * 1.5 * 1.5, 6);
    for (let k = 1; k <= 3; k++) {
      s.propose(`${best}.1.${k}`, `${best}.1`, { dropout: 0.1 * k });
      s.succeed(`${best}.1.${k}`, [0.5, 0.5]);
      s.decide(`${best}.1.${k}`, false);
    }
    tree = fold(s.events);
    expect(trustRadius(tree, `${best}.1`)).toBeCloseTo(TRUST_RADIUS.initial * 1.5 * 1.5 * 0.7 ** 3, 6);
    // Rejected design points far from the root say nothing about a step near it.
    expect(trustRadius(tree, '0')).toBe(TRUST_RADIUS.initial);
    for (let k = 4; k <= 20; k++) {
      s.propose(`${best}.1.${k}`, `${best}.1`, { dropout: 0.01 * k });
      s.failExperiment(`${best}.1.${k}`);
    }
    expect(trustRadius(fold(s.events), `${best}.1`)).toBe(TRUST_RADIUS.min);
  });

  it('keeps a perturbation inside the space and near its centre', () => {
    const tree = fold(treeWithLrSweep().events);
    const surrogate = nodeSurrogate(tree, '5', demoSpace)!;
    const centre = effectiveParams(tree, '5', demoSpace);
    const random = seededRandom(3);
    const moved = Array.from({ length: 200 }, () => surrogate.perturb(centre, random));
    for (const config of moved) for (const p of demoSpace) expect(outOfSpace(p, config[p.name]!)).toBeUndefined();
    const distances = moved.map((config) => distance(demoSpace, config, centre));
    // A draw can leave everything as it was (a choice it did not switch); the proposer skips those.
    expect(distances.filter((d) => d > 0).length).toBeGreaterThan(150);
    const mean = distances.reduce((a, d) => a + d, 0) / distances.length;
    expect(mean).toBeLessThan(0.3);
  });
});

describe('OfflineProposer with its surrogate', () => {
  it('says which surrogate chose each step, and honours a constraint insight the surrogate would break (hostile case)', async () => {
    const s = treeWithLrSweep();
    // A lesson rules out high learning rates, where the model would otherwise go next.
    recordConstraint(s, 'lr-cap', { param: 'lr', relation: 'above', value: 0.01, outcome: 'hurts', support: 3, of: 3 });
    const tree = fold(s.events);
    const proposer = new OfflineProposer();
    for (const parent of ['0', '5', '6']) {
      const proposals = await proposer.propose({ tree, task, parentId: parent, count: 3, insights: insightsOnPath(tree, parent), parentParams: effectiveParams(tree, parent, demoSpace) });
      expect(proposals.length).toBeGreaterThan(0);
      for (const p of proposals) {
        expect(p.mechanism).toMatch(/surrogate conditioned on node/);
        // A reason shared by several moves is said once.
        expect(p.mechanism.match(/surrogate conditioned on node/g)).toHaveLength(1);
        const lr = Number({ ...effectiveParams(tree, parent, demoSpace), ...(p.change.kind === 'params' ? p.change.set : {}) }.lr);
        expect(lr).toBeLessThanOrEqual(0.01);
      }
    }
  });

  it('is the heuristic local search alone with surrogate: false (the ablation)', async () => {
    const tree = fold(treeWithLrSweep().events);
    const proposals = await new OfflineProposer({ surrogate: false }).propose({ tree, task, parentId: '5', count: 2, insights: [], parentParams: effectiveParams(tree, '5', demoSpace) });
    expect(proposals.length).toBe(2);
    for (const p of proposals) expect(p.mechanism).not.toMatch(/surrogate/);
  });
});
