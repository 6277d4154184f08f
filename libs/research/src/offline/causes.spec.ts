// Lessons that name causes, and a proposer that never talks itself into a dead end: the offline
// distiller credits an outcome to a parameter only on one-factor evidence, scopes each lesson to
// the subtree that holds its evidence and lets later evidence overturn it; the proposer refuses
// moves that already changed nothing, and relaxes constraints before it gives up.
import { fold, insightsOnPath, type SearchTree } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import type { Parameter } from '@hypotree/task';
import { OfflineDistiller } from './distiller.js';
import { balanced, DESIGN_SIZE, spaceFillingSamples } from './explore.js';
import { OfflineProposer } from './proposer.js';
import { configKey, effectiveParams, encode } from '../space.js';
import { demoSpace, taskWith } from '../task.fixture.js';
import type { InsightDraft } from '../types.js';

const task = taskWith(demoSpace);
const distiller = new OfflineDistiller();
const distill = (tree: SearchTree, nodeId: string) => distiller.distill({ tree, task, nodeId });

/** Records drafts as the coordinator would: InsightDistilled, then InsightSuperseded (with its reason) for what each replaces. */
function record(s: EventScript, drafts: InsightDraft[]): void {
  for (const d of drafts) {
    const { supersedes, supersedeReason, ...data } = d;
    s.add({ type: 'InsightDistilled', data });
    for (const old of supersedes) s.add({ type: 'InsightSuperseded', data: { insightId: old, supersededBy: d.insightId, reason: supersedeReason ?? 'recounted' } });
  }
}

function started(): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.6, 0.6]);
  s.gate('0', 0.6);
  return s;
}

/** An admitted, gate-verified child. */
function admitted(s: EventScript, nodeId: string, parentId: string, set: Record<string, number | string | boolean>, value: number): void {
  s.propose(nodeId, parentId, set);
  s.succeed(nodeId, [value, value]);
  s.gate(nodeId, value);
  s.decide(nodeId, true);
}

describe('lessons name causes only on one-factor evidence', () => {
  // Four design points from the root, each moving lr, width and activation at once, all crash.
  function confounded(): EventScript {
    const s = started();
    [0.2, 0.4, 0.6, 0.9].forEach((lr, i) => {
      s.propose(String(i + 1), '0', { lr, width: 64 + i, activation: 'relu' });
      s.failExperiment(String(i + 1), 'crash');
    });
    return s;
  }

  it('records an outcome that moved several parameters at once as a correlation, never a constraint', async () => {
    const drafts = await distill(fold(confounded().events), '4');
    const lessons = drafts.filter((d) => d.claim && d.insightId.startsWith('offline-lesson-'));
    expect(lessons.length).toBeGreaterThanOrEqual(3); // lr, width and activation each correlate with the crashes
    for (const lesson of lessons) {
      expect(lesson).toMatchObject({ kind: 'finding', claim: { outcome: 'hurts', isolation: 'correlation' } });
      expect(lesson.text).toContain('this is a correlation, not a cause');
    }
  });

  it('makes the same crashes a constraint when each moved one parameter alone (the parent is the control)', async () => {
    const s = started();
    admitted(s, '1', '0', { width: 32 }, 0.7);
    [0.2, 0.4, 0.9].forEach((lr, i) => {
      s.propose(`1.${i + 1}`, '1', { lr });
      s.failExperiment(`1.${i + 1}`, 'crash');
    });
    const drafts = await distill(fold(s.events), '1.3');
    const constraint = drafts.find((d) => d.kind === 'constraint');
    expect(constraint).toMatchObject({ nodeId: '1', scope: 'subtree', claim: { param: 'lr', relation: 'above', outcome: 'hurts', isolation: 'one-factor', support: 3, of: 3 } });
  });

  it('a correlation never binds the proposer: every confounded region stays open', async () => {
    const s = confounded();
    for (const id of ['1', '2', '3', '4']) record(s, await distill(fold(s.events), id));
    const tree = fold(s.events);
    const insights = insightsOnPath(tree, '0');
    expect(insights.some((i) => i.claim?.isolation === 'correlation')).toBe(true);
    const proposals = await new OfflineProposer().propose({ tree, task, parentId: '0', count: 8, insights, parentParams: effectiveParams(tree, '0', demoSpace) });
    expect(proposals).toHaveLength(8);
    expect(proposals.every((p) => (p.insightsRelaxed ?? []).length === 0)).toBe(true);
    // The design still reaches relu and large rates, which only correlated with the crashes.
    const sets = proposals.map((p) => (p.change.kind === 'params' ? p.change.set : {}));
    expect(sets.some((set) => set.activation === 'relu')).toBe(true);
    expect(sets.some((set) => Number(set.lr ?? 0) > 0.2)).toBe(true);
  });

  it('scopes a lesson to the smallest subtree that holds its evidence, not the whole tree', async () => {
    const s = started();
    admitted(s, '1', '0', { width: 32 }, 0.7);
    admitted(s, '2', '0', { width: 128 }, 0.72);
    [0.2, 0.4, 0.9].forEach((lr, i) => {
      s.propose(`2.${i + 1}`, '2', { lr });
      s.failExperiment(`2.${i + 1}`, 'crash');
    });
    const drafts = await distill(fold(s.events), '2.3');
    // The lesson holds equally at node 2 and across the tree (no other lr moves exist): it is recorded at node 2.
    expect(drafts.find((d) => d.claim?.param === 'lr')).toMatchObject({ nodeId: '2', scope: 'subtree' });
    expect(insightsOnPath(fold(s.events), '1').some((i) => i.claim?.param === 'lr')).toBe(false);
  });

  it('lets later evidence overturn a lesson: superseded with the node that went against it', async () => {
    const s = started();
    // Under three different parents, switching to relu alone crashed: a global constraint.
    for (const k of [1, 2, 3]) {
      admitted(s, String(k), '0', { lr: 0.01 * k }, 0.7);
      s.propose(`${k}.1`, String(k), { activation: 'relu' });
      s.failExperiment(`${k}.1`, 'crash');
      record(s, await distill(fold(s.events), `${k}.1`));
    }
    const constraint = [...fold(s.events).insights.values()].find((i) => i.kind === 'constraint' && i.active)!;
    expect(constraint).toMatchObject({ nodeId: '0', scope: 'global', claim: { param: 'activation', relation: 'equals', value: 'relu', support: 3, of: 3 } });
    // Then relu alone is admitted elsewhere: 3 of 4 still clears the bar of 0.75, and the lesson is recounted.
    const reluConstraint = () => [...fold(s.events).insights.values()].find((i) => i.kind === 'constraint' && i.active && i.claim?.value === 'relu');
    admitted(s, '4', '0', { lr: 0.05 }, 0.7);
    admitted(s, '4.1', '4', { activation: 'relu' }, 0.8);
    record(s, await distill(fold(s.events), '4.1'));
    const recounted = reluConstraint()!;
    expect(recounted.claim).toMatchObject({ support: 3, of: 4 });
    expect(fold(s.events).insights.get(constraint.id)!.active).toBe(false);
    // Moves of relu together with another parameter are correlations: they neither count nor overturn.
    admitted(s, '4.2', '4', { activation: 'relu', batchnorm: true }, 0.82);
    record(s, await distill(fold(s.events), '4.2'));
    expect(reluConstraint()?.id).toBe(recounted.id);
    // A second one-factor admission of relu: 3 of 5 is below the bar, and the lesson is overturned.
    admitted(s, '5', '0', { lr: 0.2 }, 0.7);
    admitted(s, '5.1', '5', { activation: 'relu' }, 0.8);
    const drafts = await distill(fold(s.events), '5.1');
    const overturned = drafts.find((d) => d.supersedes.includes(recounted.id))!;
    expect(overturned.supersedeReason).toMatch(/^overturned: node 5\.1 \(switch activation sigmoid → relu: \+0\.1\) goes against it; it now holds 3\/5 times/);
    record(s, drafts);
    const tree = fold(s.events);
    expect(tree.insights.get(recounted.id)).toMatchObject({ active: false });
    expect(reluConstraint()).toBeUndefined();
    expect(insightsOnPath(tree, '5').some((i) => i.kind === 'constraint')).toBe(false);
  });

  it('null case: evidence that agrees with a lesson never overturns it', async () => {
    const s = started();
    admitted(s, '1', '0', { width: 32 }, 0.7);
    for (const [i, lr] of [0.2, 0.4, 0.9, 0.95].entries()) {
      s.propose(`1.${i + 1}`, '1', { lr });
      s.failExperiment(`1.${i + 1}`, 'crash');
      const drafts = await distill(fold(s.events), `1.${i + 1}`);
      expect(drafts.filter((d) => d.supersedeReason?.startsWith('overturned'))).toEqual([]);
      record(s, drafts);
    }
  });
});

describe('the offline proposer has no self-inflicted dead ends', () => {
  const tiny: Parameter[] = [
    { name: 'depth', type: 'int', min: 0, max: 3, log: false, default: 1 },
    { name: 'mode', type: 'choice', choices: ['a', 'b'], default: 'a' },
  ];
  const tinyTask = taskWith(tiny);

  it('relaxes the weakest constraint, and says so, when the constraints leave nothing new to try', async () => {
    const s = started();
    admitted(s, '1', '0', { depth: 2 }, 0.7);
    const constraint = (id: string, param: string, relation: 'above' | 'below' | 'equals', value: number | string, support: number, of: number) =>
      s.add({
        type: 'InsightDistilled',
        data: { insightId: id, nodeId: '0', scope: 'global', kind: 'constraint', text: `${param} ${relation} ${value} hurt`, evidence: [], distiller: { kind: 'offline' }, basis: 'gate', claim: { param, relation, value, outcome: 'hurts', support, of, isolation: 'one-factor' } },
      });
    constraint('strong-depth-up', 'depth', 'above', 2, 4, 4);
    constraint('strong-depth-down', 'depth', 'below', 2, 4, 4);
    constraint('weak-mode', 'mode', 'equals', 'b', 3, 4);
    const tree = fold(s.events);
    const proposals = await new OfflineProposer().propose({ tree, task: tinyTask, parentId: '1', count: 1, insights: insightsOnPath(tree, '1'), parentParams: effectiveParams(tree, '1', tiny) });
    expect(proposals).toHaveLength(1);
    expect(proposals[0]).toMatchObject({ change: { kind: 'params', set: { mode: 'b' } }, insightsRelaxed: ['weak-mode'] });
    expect(proposals[0]!.mechanism).toContain('Relaxes insight weak-mode');
  });

  it('null case: with room left, nothing is relaxed', async () => {
    const s = started();
    admitted(s, '1', '0', { depth: 2 }, 0.7);
    const tree = fold(s.events);
    const proposals = await new OfflineProposer().propose({ tree, task: tinyTask, parentId: '1', count: 1, insights: [], parentParams: effectiveParams(tree, '1', tiny) });
    expect(proposals).toHaveLength(1);
    expect(proposals[0]!.insightsRelaxed).toBeUndefined();
  });

  it('keeps proposing new directions from the root after the design is used up, until the space itself is', async () => {
    const s = started();
    const seen = new Set<string>([configKey(effectiveParams(fold(s.events), '0', tiny), tiny)]);
    for (let k = 1; k <= 7; k++) {
      const tree = fold(s.events);
      const [p] = await new OfflineProposer().propose({ tree, task: tinyTask, parentId: '0', count: 1, insights: [], parentParams: effectiveParams(tree, '0', tiny) });
      expect(p).toBeDefined(); // 8 configurations in all, the default one of them: 7 new ones
      s.propose(String(k), '0', p!.change.kind === 'params' ? p!.change.set : {});
      seen.add(configKey(effectiveParams(fold(s.events), String(k), tiny), tiny));
    }
    expect(seen.size).toBe(8);
    const tree = fold(s.events);
    expect(await new OfflineProposer().propose({ tree, task: tinyTask, parentId: '0', count: 1, insights: [], parentParams: effectiveParams(tree, '0', tiny) })).toEqual([]);
  });

  it('refuses to repeat a move that changed nothing, and steps past the flat range instead', async () => {
    const flatSpace: Parameter[] = [
      { name: 'm', type: 'float', min: 0, max: 1, log: false, default: 0.2 },
      { name: 'k', type: 'choice', choices: ['a', 'b'], default: 'a' },
    ];
    const flatTask = taskWith(flatSpace);
    const ups: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const s = new EventScript(`s${seed}`);
      s.start({ seed });
      s.baseline([0.6, 0.6]);
      admitted(s, '1', '0', { k: 'b' }, 0.7);
      // m 0.2 → 0.6 changed nothing measurable: a flat range a default step up (to about 0.45) would fall in.
      s.propose('1.1', '1', { m: 0.6 });
      s.succeed('1.1', [0.7, 0.7]);
      s.decide('1.1', false);
      const tree = fold(s.events);
      const proposals = await new OfflineProposer().propose({ tree, task: flatTask, parentId: '1', count: 2, insights: [], parentParams: effectiveParams(tree, '1', flatSpace) });
      for (const p of proposals) {
        const set = p.change.kind === 'params' ? p.change.set : {};
        if (Object.keys(set).length === 1 && Number(set.m) > 0.2) ups.push(Number(set.m));
      }
    }
    expect(ups.length).toBeGreaterThanOrEqual(3);
    for (const m of ups) expect(m).toBeGreaterThan(0.6 + 0.03);
  });
});

describe('the initial design is stratified', () => {
  it('gives every choice value an equal share (±1) of each design, in a seeded order that differs by seed', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const samples = spaceFillingSamples(demoSpace, { seed, firstIndex: 0, count: DESIGN_SIZE, tried: new Set(), constraints: [], findings: [] });
      expect(samples).toHaveLength(DESIGN_SIZE);
      const count = (name: string, value: unknown) => samples.filter((x) => x.config[name] === value).length;
      for (const value of ['sigmoid', 'tanh', 'relu']) expect([2, 3]).toContain(count('activation', value));
      expect(count('batchnorm', true)).toBe(DESIGN_SIZE / 2);
      // A Latin hypercube: each numeric parameter has one point in each eighth of its range.
      for (const name of ['lr', 'dropout']) {
        const p = demoSpace.find((q) => q.name === name)!;
        if (p.type !== 'float') throw new Error(`${name} is a float`);
        const strata = new Set(samples.map((x) => Math.min(DESIGN_SIZE - 1, Math.floor(encode(p, Number(x.config[name])) * DESIGN_SIZE))));
        expect(strata.size).toBeGreaterThanOrEqual(DESIGN_SIZE - 1); // rounding to 3 digits may merge a neighbour
      }
    }
    expect(balanced(['x', 'y', 'z'], 1, 'p', 0)).not.toEqual(balanced(['x', 'y', 'z'], 2, 'p', 0));
  });

  it('replaces a value a constraint forbids by an allowed one instead of dropping the design point', () => {
    const forbidRelu = {
      id: 'no-relu',
      nodeId: '0',
      scope: 'global' as const,
      kind: 'constraint' as const,
      text: 'relu crashes',
      evidence: [],
      distiller: { kind: 'offline' },
      claim: { param: 'activation', relation: 'equals' as const, value: 'relu', outcome: 'hurts' as const, support: 3, of: 3, isolation: 'one-factor' as const },
      active: true,
      eventId: 'e',
    };
    const samples = spaceFillingSamples(demoSpace, { seed: 1, firstIndex: 0, count: DESIGN_SIZE, tried: new Set(), constraints: [forbidRelu], findings: [] });
    expect(samples.map((x) => x.stratum)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(samples.every((x) => x.config.activation !== 'relu')).toBe(true);
  });
});
