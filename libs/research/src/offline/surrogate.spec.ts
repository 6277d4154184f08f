import { seededRandom } from '@hypotree/policy';
import { outOfSpace } from '@hypotree/task';
import { EventScript } from '@hypotree/tree/testing';
import { fold, insightsOnPath } from '@hypotree/tree';
import { OfflineProposer } from './proposer.js';
import { recordConstraint } from '../search.fixture.js';
import { distance, nodeSurrogate, TRUST_RADIUS, trustRadius, verdictScore } from './surrogate.js';
import { effectiveParams } from '../space.js';
import { evaluatedConfigs } from './parzen.js';
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

/**
 * The trap of routing at budget 96: after a design around the root (baseline 0.6), a region at low
 * learning rates that dev likes (0.70) and the gate keeps refusing, a few children near lr 0.3 with
 * smaller dev gains (0.64) of which two were admitted, and one undecided.
 */
function treeWithRefusedRegion(): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.6, 0.6]);
  const widths = [4, 8, 16, 32, 64, 128, 256, 512];
  widths.forEach((width, i) => {
    const id = String(i + 1);
    s.propose(id, '0', { lr: 0.9, width });
    s.succeed(id, [0.4, 0.4]);
    s.decide(id, false, 'dev-below-threshold', { dev: -0.2, threshold: 0.05 });
  });
  for (let k = 9; k <= 18; k++) {
    const id = String(k);
    s.propose(id, '0', { lr: 0.0005 + 0.0001 * k });
    s.succeed(id, [0.7, 0.7]);
    s.gate(id, [0.61, 0.61]);
    s.decide(id, false, 'gate-disagrees', { dev: 0.1, threshold: 0.05, gate: 0.01, gateThreshold: 0.05 });
  }
  for (let k = 19; k <= 21; k++) {
    const id = String(k);
    s.propose(id, '0', { lr: 0.25 + 0.02 * k });
    s.succeed(id, [0.64, 0.64]);
    if (k < 21) s.gate(id, [0.64, 0.64]);
    if (k < 21) s.decide(id, true);
  }
  return s;
}

describe('the surrogate and the search\'s verdicts', () => {
  it('counts a refusal below its admitted parent by the margin it missed by: the gate\'s gain for a gate refusal, dev\'s for a dev one', () => {
    const s = treeWithRefusedRegion();
    // A child of an admitted node, refused on dev by a small margin: it counts below that node, not the root.
    s.propose('19.1', '19', { width: 48 });
    s.succeed('19.1', [0.66, 0.66]);
    s.decide('19.1', false, 'dev-below-threshold', { dev: 0.02, threshold: 0.05 });
    // A gate refusal under the fixed test, which records its margin instead of a threshold.
    s.propose('19.2', '19', { width: 96 });
    s.succeed('19.2', [0.7, 0.7]);
    s.decide('19.2', false, 'gate-disagrees', { dev: 0.06, threshold: 0.01, gate: 0.005, gateMargin: 0.01 });
    const tree = fold(s.events);
    const score = (id: string) => verdictScore(tree, evaluatedConfigs(tree, demoSpace).find((e) => e.nodeId === id)!);
    expect(score('9')).toBeCloseTo(0.6 - 0.04, 10); // gate gain 0.01 against 0.05: missed by 0.04
    expect(score('1')).toBeCloseTo(0.6 - 0.25, 10); // dev -0.2 against 0.05, below its own dev score
    expect(score('19.1')).toBeCloseTo(0.64 - 0.03, 10);
    expect(score('19.2')).toBeCloseTo(0.64 - 0.005, 10);
    // Null cases: admitted and undecided keep their dev scores.
    expect(score('19')).toBeCloseTo(0.64, 10);
    expect(score('21')).toBeCloseTo(0.64, 10);
  });

  it('keeps the dev score of a rejection that is not a verdict on the candidate\'s numbers, or whose decision does not say them (null cases)', () => {
    const s = treeWithRefusedRegion();
    const rejected: [string, string, Record<string, number>][] = [
      ['22', 'gate-budget-exhausted', { dev: 0.1, threshold: 0.05 }],
      ['23', 'gate-reserved', { dev: 0.1, threshold: 0.05 }],
      ['24', 'integrity-violation', { dev: 0.1, threshold: 0.05 }],
      ['25', 'gate-disagrees', { dev: 0.1, threshold: 0.05 }], // no gate numbers
      ['26', 'dev-below-threshold', {}],
    ];
    for (const [id, rule, deltas] of rejected) {
      s.propose(id, '0', { dropout: 0.01 * Number(id) });
      s.succeed(id, [0.7, 0.7]);
      s.decide(id, false, rule, deltas);
    }
    const tree = fold(s.events);
    for (const [id] of rejected) expect(verdictScore(tree, evaluatedConfigs(tree, demoSpace).find((e) => e.nodeId === id)!)).toBeCloseTo(0.7, 10);
  });

  it('takes a region the gate keeps refusing out of the good set, and leads toward what was admitted (hostile case)', () => {
    const tree = fold(treeWithRefusedRegion().events);
    const root = effectiveParams(tree, '0', demoSpace);
    const refusedRegion = { ...root, lr: 0.0015 };
    const admittedRegion = { ...root, lr: 0.65 };
    // On dev scores alone (the default) the thirteen that beat the root are mostly the refused region, and the model rates it first.
    const devOnly = nodeSurrogate(tree, '0', demoSpace)!;
    expect(devOnly.better).toBe(13);
    expect(devOnly.refused).toBe(0);
    expect(devOnly.rate(refusedRegion)).toBeGreaterThan(devOnly.rate(admittedRegion));
    // With the verdicts, only what was admitted or is undecided beats the root.
    const surrogate = nodeSurrogate(tree, '0', demoSpace, { verdicts: true })!;
    expect(surrogate.better).toBe(3);
    expect(surrogate.refused).toBe(18);
    expect(surrogate.rate(admittedRegion)).toBeGreaterThan(surrogate.rate(refusedRegion));
  });

  it('says in each proposal how many refusals it counted below their parent', async () => {
    const tree = fold(treeWithRefusedRegion().events);
    const proposals = await new OfflineProposer({ verdictsAfter: 0 }).propose({ tree, task, parentId: '0', count: 2, insights: [], parentParams: effectiveParams(tree, '0', demoSpace) });
    expect(proposals.length).toBeGreaterThan(0);
    for (const p of proposals) expect(p.mechanism).toContain('the 3 that beat node 0 against the rest, the 18 the dev screen or the gate refused counted below their parent by what they missed by');
    const devOnly = await new OfflineProposer().propose({ tree, task, parentId: '0', count: 2, insights: [], parentParams: effectiveParams(tree, '0', demoSpace) });
    for (const p of devOnly) expect(p.mechanism).not.toMatch(/refused counted below/);
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
