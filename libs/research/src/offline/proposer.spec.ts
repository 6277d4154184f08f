import { activeParameters, outOfSpace } from '@hypotree/task';
import { EventScript } from '@hypotree/tree/testing';
import { fold, insightsOnPath, type SearchTree } from '@hypotree/tree';
import { OfflineProposer, refusedInARow, refusedOnNumbers } from './proposer.js';
import { recordConstraint, recordProposal } from '../search.fixture.js';
import { configKey, effectiveParams, triedConfigs } from '../space.js';
import { conditionalSpace, demoSpace, taskWith } from '../task.fixture.js';
import { RandomProposer } from './random-proposer.js';
import { TpeProposer } from './tpe-proposer.js';
import type { Proposal, ProposalRequest } from '../types.js';

const task = taskWith(demoSpace);
const proposer = new OfflineProposer();

function request(tree: SearchTree, parentId: string, count = 2, insights = insightsOnPath(tree, parentId)): ProposalRequest {
  return { tree, task, parentId, count, insights, parentParams: effectiveParams(tree, parentId, demoSpace) };
}

function started(): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.6, 0.62]);
  return s;
}

function childOf(parentId: string, k: number): string {
  return parentId === '0' ? String(k) : `${parentId}.${k}`;
}

/** The root's 8 design points, each worse than the root on dev and rejected by the dev screen. */
function rejectedDesign(s: EventScript, runs = (k: number) => [0.3 + 0.01 * k, 0.31 + 0.01 * k]): void {
  for (let k = 1; k <= 8; k++) {
    s.propose(String(k), '0', { lr: 0.5, width: 2 + k });
    s.succeed(String(k), runs(k));
    s.decide(String(k), false, 'dev-below-threshold', { dev: -0.3, threshold: 0.05 });
  }
}

/** Proposes under a parent `rounds` times, recording each batch in the script as a coordinator would. */
async function expand(s: EventScript, parentId: string, rounds: number, insights?: ProposalRequest['insights']): Promise<Proposal[]> {
  const all: Proposal[] = [];
  for (let r = 0; r < rounds; r++) {
    const tree = fold(s.events);
    const batch = await proposer.propose(request(tree, parentId, 2, insights ?? insightsOnPath(tree, parentId)));
    const first = tree.nodes.get(parentId)!.children.length + 1;
    batch.forEach((p, i) => recordProposal(s, childOf(parentId, first + i), parentId, p));
    all.push(...batch);
  }
  return all;
}

describe('OfflineProposer', () => {
  it('proposes in-space parameter changes with a title, mechanism, prediction and proposer ref', async () => {
    const tree = fold(started().events);
    const proposals = await proposer.propose(request(tree, '0', 3));
    expect(proposals).toHaveLength(3);
    for (const p of proposals) {
      expect(p.change.kind).toBe('params');
      if (p.change.kind !== 'params') continue;
      for (const [name, value] of Object.entries(p.change.set)) {
        expect(outOfSpace(demoSpace.find((q) => q.name === name)!, value)).toBeUndefined();
      }
      expect(p.title).toMatch(/^explore /); // from the root: new directions, not local steps
      expect(p.mechanism.length).toBeGreaterThan(20);
      expect(p.prediction).toContain("dev accuracy rises above node 0's 0.61");
      expect(p.proposer).toEqual({ kind: 'offline' });
    }
  });

  it('is deterministic for the same tree, and differs between parents', async () => {
    const s = started();
    s.propose('1', '0', { lr: 0.003 });
    s.succeed('1', [0.7, 0.7]);
    s.decide('1', true);
    s.propose('2', '0', { width: 16 });
    s.succeed('2', [0.7, 0.7]);
    s.decide('2', true);
    const tree = fold(s.events);
    expect(await proposer.propose(request(tree, '1'))).toEqual(await proposer.propose(request(tree, '1')));
    const under1 = (await proposer.propose(request(tree, '1'))).map((p) => p.change);
    const under2 = (await proposer.propose(request(tree, '2'))).map((p) => p.change);
    expect(under1).not.toEqual(under2);
  });

  it('never proposes a configuration already in the tree, even after many rounds under one parent', async () => {
    const s = started();
    s.propose('1', '0', { lr: 0.003 });
    const proposals = await expand(s, '0', 30);
    expect(proposals.length).toBe(60);
    const tree = fold(s.events);
    const keys = [...tree.nodes.keys()].map((id) => configKey(effectiveParams(tree, id, demoSpace), demoSpace));
    expect(new Set(keys).size).toBe(keys.length);
    expect(triedConfigs(tree, demoSpace).size).toBe(tree.nodes.size);
  });

  it('honours a constraint claim: never proposes lr above 0.3 in its scope, and moves a parent out of the forbidden region', async () => {
    const s = started();
    s.propose('1', '0', { lr: 0.5 });
    s.succeed('1', [0.65, 0.66]);
    s.decide('1', true);
    recordConstraint(s, 'lr-cap', { param: 'lr', relation: 'above', value: 0.3, outcome: 'hurts', support: 3, of: 3 });
    const fromRoot = await expand(s, '0', 15);
    const fromOne = await expand(s, '1', 4);
    for (const p of fromRoot) expect(p.change.kind === 'params' && Number(p.change.set.lr ?? 0.001)).toBeLessThanOrEqual(0.3);
    for (const p of fromOne) {
      expect(p.change.kind === 'params' && p.change.set.lr).toBeLessThanOrEqual(0.3);
      expect(p.insightsConsidered).toContain('lr-cap');
      expect(p.mechanism).toContain('insight lr-cap rules out lr above 0.3');
    }
  });

  it('follows momentum: after an admitted raise of lr, it raises lr further first', async () => {
    const s = started();
    s.propose('1', '0', { lr: 0.003 });
    s.succeed('1', [0.7, 0.71]);
    s.decide('1', true);
    const [first] = await proposer.propose(request(fold(s.events), '1', 1));
    expect(first!.title).toMatch(/^raise lr 0\.003 → /);
    expect(first!.change.kind === 'params' && first!.change.set.lr).toBeGreaterThan(0.003);
    expect(first!.mechanism).toContain('node 1 moved lr the same way and was admitted (+0.095)');
  });

  it('avoids a direction a sibling showed to hurt and tries the other side', async () => {
    const s = started();
    s.propose('1', '0', { lr: 0.003 });
    s.succeed('1', [0.7, 0.71]);
    s.decide('1', true);
    s.propose('1.1', '1', { lr: 0.01 });
    s.failExperiment('1.1', 'crash');
    const proposals = await proposer.propose(request(fold(s.events), '1', 8));
    const lrMoves = proposals.filter((p) => p.change.kind === 'params' && p.change.set.lr !== undefined);
    const raiseIndex = proposals.findIndex((p) => p.title.includes('raise lr'));
    const lowerIndex = proposals.findIndex((p) => p.title.includes('lower lr'));
    expect(lrMoves.length).toBeGreaterThan(0);
    expect(lowerIndex).toBeGreaterThanOrEqual(0);
    expect(raiseIndex === -1 || raiseIndex > lowerIndex).toBe(true);
    expect(proposals[lowerIndex]!.mechanism).toContain('sibling 1.1 moved lr the other way and it hurt (crash)');
  });

  it('builds on a finding: moves a parameter into the region an insight says helps, and cites it', async () => {
    const s = started();
    s.add({
      type: 'InsightDistilled',
      data: {
        insightId: 'relu-helps',
        nodeId: '0',
        scope: 'global',
        kind: 'finding',
        text: 'setting activation = relu helped 3/3 times across the tree',
        evidence: ['e1'],
        distiller: { kind: 'offline' },
        claim: { param: 'activation', relation: 'equals', value: 'relu', outcome: 'helps', support: 3, of: 3 },
      },
    });
    const [first] = await proposer.propose(request(fold(s.events), '0', 1));
    expect(first!.change).toMatchObject({ kind: 'params', set: { activation: 'relu' } });
    expect(first!.insightsConsidered).toEqual(['relu-helps']);
  });

  it('works with no insights (the --no-insights ablation): it proposes and cites none', async () => {
    const proposals = await proposer.propose(request(fold(started().events), '0', 2, []));
    expect(proposals).toHaveLength(2);
    expect(proposals.filter((p) => p.insightsConsidered.length > 0)).toEqual([]);
  });

  it('works with a minimising objective: a lower loss is the admitted direction it follows', async () => {
    const minimise = taskWith(demoSpace, { metric: 'loss', direction: 'minimize' });
    const s = new EventScript('s1');
    s.start({ task: { name: 'demo', specPath: 'p', specHash: 'h', repo: 'r', baseCommit: 'c0', objective: { metric: 'loss', direction: 'minimize' } } });
    s.baseline([0.6, 0.62]);
    s.propose('1', '0', { lr: 0.003 });
    s.succeed('1', [0.5, 0.51]);
    s.decide('1', true);
    const [first] = await proposer.propose({ ...request(fold(s.events), '1', 1), task: minimise });
    expect(first!.title).toMatch(/^raise lr 0\.003 → /);
    expect(first!.mechanism).toContain('node 1 moved lr the same way and was admitted (+0.105)');
  });

  it('lets the surrogate lead the root once its design of directions is out and the tree can be modelled, and not before', async () => {
    const s = started();
    for (let k = 1; k <= 7; k++) {
      s.propose(String(k), '0', { lr: 0.5, width: 2 + k });
      s.succeed(String(k), [0.3 + 0.01 * k, 0.31 + 0.01 * k]);
      s.decide(String(k), false);
    }
    // Seven of the eight directions out: the root still opens design points.
    const before = await proposer.propose(request(fold(s.events), '0'));
    expect(before.map((p) => p.title)).toEqual([expect.stringMatching(/^explore a new direction/), expect.stringMatching(/^explore a new direction/)]);
    s.propose('8', '0', { lr: 0.5, width: 10 });
    s.succeed('8', [0.3, 0.31]);
    const after = await proposer.propose(request(fold(s.events), '0'));
    expect(after).toHaveLength(2);
    for (const p of after) {
      expect(p.title).not.toMatch(/^explore a new direction/);
      expect(p.mechanism).toMatch(/a surrogate conditioned on node 0 \(a Parzen model of 9 evaluations/);
    }
    // Half the root's batch opens a new direction: a whole configuration from the good density.
    expect(after.filter((p) => /a draw from the surrogate's good density \(a new direction/.test(p.mechanism))).toHaveLength(1);
  });

  it('without its surrogate and with no second design, searches around the root once a whole design of directions from it was rejected, and not before', async () => {
    const heuristic = new OfflineProposer({ surrogate: false, redesigns: 0 });
    const s = started();
    for (let k = 1; k <= 8; k++) {
      s.propose(String(k), '0', { lr: 0.5, width: 2 + k });
      s.succeed(String(k), [0.3, 0.31]);
      if (k < 8) s.decide(String(k), false);
    }
    // Seven of the eight directions decided: the root still opens new ones.
    const before = await heuristic.propose(request(fold(s.events), '0'));
    expect(before.map((p) => p.title)).toEqual([expect.stringMatching(/^explore a new direction/), expect.stringMatching(/^explore a new direction/)]);
    s.decide('8', false);
    const after = await heuristic.propose(request(fold(s.events), '0'));
    expect(after).toHaveLength(2);
    for (const p of after) {
      expect(p.title).not.toMatch(/^explore a new direction/);
      expect(p.change.kind === 'params' && Object.keys(p.change.set).length).toBeGreaterThan(0);
    }
  });

  it('runs a second design from the root when the first admitted nothing, says why, and searches the root once that is out or a child is admitted', async () => {
    const explores = (ps: Proposal[]) => ps.map((p) => /^explore a new direction/.test(p.title));
    // Eight design points, every one worse than the root on dev: the surrogate has nothing better than the defaults to learn from.
    const s = started();
    rejectedDesign(s);
    const again = await expand(s, '0', 3);
    expect(explores(again)).toEqual([true, true, true, true, true, true]);
    expect(again[0]!.mechanism).toMatch(/the root's 8 children so far admitted nothing, so the design goes on before the root is searched locally/);
    // New points, not the first design's again.
    const tree = fold(s.events);
    expect(new Set([...tree.nodes.values()].map((n) => configKey(effectiveParams(tree, n.id, demoSpace), demoSpace))).size).toBe(tree.nodes.size);
    // The sixteenth child ends the second design: the root is then searched with the surrogate.
    await expand(s, '0', 1);
    expect(fold(s.events).nodes.get('0')!.children).toHaveLength(16);
    const local = await proposer.propose(request(fold(s.events), '0'));
    expect(explores(local)).toEqual([false, false]);
    expect(local[0]!.mechanism).toMatch(/a surrogate conditioned on node 0/);

    // Null case: with redesigns 0 the root is searched right after its first design.
    const first = started();
    rejectedDesign(first, () => [0.3, 0.31]);
    expect(explores(await new OfflineProposer({ redesigns: 0 }).propose(request(fold(first.events), '0')))).toEqual([false, false]);
    // An admitted design point (or a point of the second design) ends the designs: the surrogate leads.
    first.propose('9', '0', { lr: 0.05, width: 20 });
    first.succeed('9', [0.7, 0.71]);
    first.decide('9', true);
    expect(explores(await proposer.propose(request(fold(first.events), '0')))).toEqual([false, false]);
  });

  it('sets its surrogate aside under a node whose last three dev-cleared children the gate refused, says so, and takes it up again after an admission', async () => {
    // Eight design points out (none admitted), then root children that cleared dev and were refused
    // by the gate: a region dev favours and the gate does not.
    // No second design here: the root children after the first are the surrogate's, as the run needs.
    const proposer = new OfflineProposer({ redesigns: 0 });
    const s = started();
    for (let k = 1; k <= 8; k++) {
      s.propose(String(k), '0', { lr: 0.5, width: 2 + k });
      s.succeed(String(k), [0.3 + 0.01 * k, 0.31 + 0.01 * k]);
      s.decide(String(k), false);
    }
    const refuse = (k: number) => {
      s.propose(String(k), '0', { lr: 0.02, width: 10 + k });
      s.succeed(String(k), [0.7, 0.71]);
      s.decide(String(k), false, 'gate-disagrees');
    };
    refuse(9);
    refuse(10);
    // Null case: two refusals in a row, the surrogate still leads.
    for (const p of await proposer.propose(request(fold(s.events), '0'))) {
      expect(p.mechanism).toMatch(/a surrogate conditioned on node 0/);
      expect(p.mechanism).not.toMatch(/set aside/);
    }
    // A dev-rejected child between refusals does not break the run: only an admission does.
    s.propose('11', '0', { lr: 0.9 });
    s.succeed('11', [0.2, 0.21]);
    s.decide('11', false);
    refuse(12);
    const aside = await proposer.propose(request(fold(s.events), '0'));
    expect(aside).toHaveLength(2);
    for (const p of aside) {
      expect(p.mechanism).not.toMatch(/a surrogate conditioned on node 0/);
      expect(p.mechanism).toContain('The surrogate is set aside under node 0: the gate refused its last 3 dev-cleared children (9, 10, 12) since one was admitted or nearly cleared it');
    }
    // Null case: with setAsideAfter 0 the surrogate is never set aside.
    for (const p of await new OfflineProposer({ setAsideAfter: 0, redesigns: 0 }).propose(request(fold(s.events), '0'))) expect(p.mechanism).toMatch(/a surrogate conditioned on node 0/);
    // One admitted child: the surrogate leads again.
    s.propose('13', '0', { lr: 0.05 });
    s.succeed('13', [0.72, 0.73]);
    s.decide('13', true);
    for (const p of await proposer.propose(request(fold(s.events), '0'))) expect(p.mechanism).not.toMatch(/set aside/);
  });

  it('with nearMiss, counts toward setting the surrogate aside only refusals where the gate saw little of the dev gain: a near miss breaks the run as an admission does', () => {
    // Root children refused by the gate, each with its gate gain and the threshold it fell short of.
    const s = started();
    const refuse = (k: number, deltas: Record<string, number>) => {
      s.propose(String(k), '0', { lr: 0.01 * k });
      s.succeed(String(k), [0.7, 0.71]);
      s.decide(String(k), false, 'gate-disagrees', deltas);
    };
    refuse(1, { gate: -0.02, gateThreshold: 0.07 }); // dev's gain did not reach the gate at all
    refuse(2, { gate: 0.02, gateThreshold: 0.07 }); // 29 % of the threshold
    refuse(3, { gate: 0.05, gateThreshold: 0.07 }); // 71 %: a near miss, a real gain short of proof
    refuse(4, { gate: 0.01, gateMargin: 0.03 }); // the fixed test's margin, 33 %
    refuse(5, {}); // a decision that does not say counts as a clear refusal
    const tree = fold(s.events);
    expect(refusedInARow(tree, '0')).toEqual(['1', '2', '3', '4', '5']);
    expect(refusedInARow(tree, '0', 0.5)).toEqual(['4', '5']);
    expect(refusedInARow(tree, '0', 0.75)).toEqual(['1', '2', '3', '4', '5']);
    // Hostile case: a threshold of 0 or less makes no near miss of any gain.
    refuse(6, { gate: 0.5, gateThreshold: 0 });
    expect(refusedInARow(fold(s.events), '0', 0.5)).toEqual(['4', '5', '6']);
  });

  it('by default (verdictsAfter 6), counts the surrogate\'s refusals below their parent once six children in a row that dev favoured were refused on their numbers, says so, and stops after an admission', async () => {
    // Eight design points out, then root children the dev screen or the gate refused, dev liking them all.
    const s = started();
    rejectedDesign(s);
    const refuse = (k: number, rule: string, deltas: Record<string, number>) => {
      s.propose(String(k), '0', { lr: 0.02 + 0.001 * k });
      s.succeed(String(k), [0.66, 0.66]);
      s.decide(String(k), false, rule, deltas);
    };
    // No second design here: the root children after the first are the surrogate's, as the run needs.
    const verdicts = new OfflineProposer({ redesigns: 0 });
    const counted = /refused counted below their parent/;
    const modelled = /a surrogate conditioned on node 0/;
    for (let k = 9; k <= 13; k++) refuse(k, k % 2 ? 'gate-disagrees' : 'dev-below-threshold', k % 2 ? { dev: 0.05, threshold: 0.03, gate: 0.04, gateThreshold: 0.05 } : { dev: 0.05, threshold: 0.06 });
    // Null case: the design points do not count, so five refusals are not yet a run of six.
    expect(refusedOnNumbers(fold(s.events), '0')).toEqual(['9', '10', '11', '12', '13']);
    for (const p of await verdicts.propose(request(fold(s.events), '0'))) expect(p.mechanism).toMatch(modelled), expect(p.mechanism).not.toMatch(counted);
    // Neither a rejection that is not a verdict on the numbers (no gate budget left) nor a step dev did
    // not favour (a worse configuration, which the surrogate already scores low) counts or breaks the run.
    refuse(14, 'gate-budget-exhausted', { dev: 0.05, threshold: 0.03 });
    refuse(15, 'dev-below-threshold', { dev: -0.02, threshold: 0.03 });
    refuse(16, 'gate-disagrees', { dev: 0.05, threshold: 0.03, gate: 0.049, gateThreshold: 0.05 });
    expect(refusedOnNumbers(fold(s.events), '0')).toEqual(['9', '10', '11', '12', '13', '16']);
    const counting = await verdicts.propose(request(fold(s.events), '0'));
    expect(counting.length).toBeGreaterThan(0);
    for (const p of counting) expect(p.mechanism).toMatch(/the 15 the dev screen or the gate refused counted below their parent/);
    // Null case: with verdictsAfter Infinity the surrogate keeps dev scores.
    for (const p of await new OfflineProposer({ redesigns: 0, verdictsAfter: Infinity }).propose(request(fold(s.events), '0'))) expect(p.mechanism).toMatch(modelled), expect(p.mechanism).not.toMatch(counted);
    // An admitted child ends the run.
    s.propose('17', '0', { lr: 0.05 });
    s.succeed('17', [0.72, 0.73]);
    s.decide('17', true);
    expect(refusedOnNumbers(fold(s.events), '0')).toEqual([]);
    for (const p of await verdicts.propose(request(fold(s.events), '0'))) expect(p.mechanism).toMatch(modelled), expect(p.mechanism).not.toMatch(counted);
  });

  it('says what is missing when the task declares no parameter space', async () => {
    const bare = { ...task, spec: { ...task.spec, parameters: undefined } };
    await expect(proposer.propose({ ...request(fold(started().events), '0'), task: bare })).rejects.toThrow(/declares no parameter space/);
  });
});

describe('every proposer on a space with conditional parameters (hostile case: most moves from the root are inert)', () => {
  // Ten evaluations at the root, all without a perturbation: the kicks settings some of them
  // carry never reached the program (examples/routing spent 85 of 96 experiments on such twins).
  function inertTree(): SearchTree {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.6, 0.6]);
    for (let k = 1; k <= 10; k++) {
      const lr = Number((1e-4 * 10 ** ((4 * k) / 11)).toPrecision(3));
      const score = 0.8 - 0.05 * Math.log10(lr / 0.03) ** 2;
      s.propose(String(k), '0', k % 2 === 0 ? { lr, kicks: 5 * k, kickSize: k } : { lr });
      s.succeed(String(k), [score, score]);
      s.decide(String(k), false, 'dev-below-threshold');
    }
    return fold(s.events);
  }
  const conditional = taskWith(conditionalSpace);

  it.each([
    ['offline (surrogate)', () => new OfflineProposer()],
    ['offline (heuristic)', () => new OfflineProposer({ surrogate: false })],
    ['tpe', () => new TpeProposer()],
    ['random', () => new RandomProposer()],
  ])('%s proposes no twin of a configuration the tree holds, and changes no inactive parameter alone', async (_name, make) => {
    const tree = inertTree();
    // What the program sees: the active parameters' values (computed here, not with the code under test).
    const program = (config: Record<string, unknown>) => {
      const active = activeParameters(conditionalSpace, config as Record<string, string | number | boolean>);
      return JSON.stringify(conditionalSpace.filter((p) => active.has(p.name)).map((p) => [p.name, config[p.name]]));
    };
    for (const parentId of ['0', '4']) {
      const proposals = await make().propose({ tree, task: conditional, parentId, count: 4, insights: [], parentParams: effectiveParams(tree, parentId, conditionalSpace) });
      expect(proposals.length).toBeGreaterThan(0);
      const tried = new Set([...tree.nodes.keys()].map((id) => program(effectiveParams(tree, id, conditionalSpace))));
      const keys = proposals.map((p) => program({ ...effectiveParams(tree, parentId, conditionalSpace), ...(p.change.kind === 'params' ? p.change.set : {}) }));
      for (const key of keys) expect(tried.has(key)).toBe(false);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});
