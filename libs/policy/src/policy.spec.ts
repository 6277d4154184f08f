import { EventScript } from '@hypotree/tree/testing';
import { fold } from '@hypotree/tree';
import { admissionPolicy } from './admission.js';
import { budgetStatus } from './budget.js';
import { refinementPolicy } from './refinement.js';
import { buildPolicies } from './registry.js';
import { selectionPolicy } from './selection.js';

function searchWithBaseline(budget = { experiments: 10, parallel: 1, gateEvaluations: 5 }): EventScript {
  const s = new EventScript('s1');
  s.start({ budget });
  s.baseline([0.8, 0.81, 0.79]);
  s.gate('0', 0.8);
  return s;
}

describe('admission: integrity of the evidence', () => {
  const admission = admissionPolicy({ sigmas: 2, minRelativeGain: 0.002 });
  type Integrity = { sandbox: 'none' | 'isolated' | 'allowlist'; specHash: string; evaluatorHash: string };
  const trusted: Integrity = { sandbox: 'allowlist', specHash: 'h', evaluatorHash: 'e' };

  /** A search started with the allowlist sandbox (or `none`), whose node 1 clears dev and gate by a wide margin. */
  function strongNode(started: 'allowlist' | 'none', dev: Integrity, gate: Integrity = trusted) {
    const s = new EventScript('s1');
    s.start({
      task: { name: 'demo', specPath: 'p', specHash: 'h', evaluatorHash: 'e', repo: 'r', baseCommit: 'c0', objective: { metric: 'accuracy', direction: 'maximize' } },
      trust: { sandbox: started, allowUnsandboxed: false },
    });
    s.baseline([0.5, 0.51, 0.5]);
    s.gate('0', 0.5, trusted);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.99, 0.99, 0.99], 1, dev);
    s.gate('1', 0.99, gate);
    return fold(s.events);
  }

  it('admits a strong node whose evidence ran as the search requires', () => {
    expect(admission.decide(strongNode('allowlist', trusted), '1')).toMatchObject({ action: 'admit', rule: 'verified' });
  });

  it('rejects a strong node whose dev evaluation ran in a weaker sandbox (an executor without bubblewrap), naming that evidence', () => {
    const tree = strongNode('allowlist', { ...trusted, sandbox: 'none' });
    const decision = admission.decide(tree, '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'weaker-sandbox' });
    expect(decision.evidence).toContain(tree.nodes.get('1')!.result!.eventId);
    // Protection off: the same evidence in a search that started without a sandbox is admitted.
    expect(admission.decide(strongNode('none', { ...trusted, sandbox: 'none' }), '1')).toMatchObject({ action: 'admit' });
  });

  it('rejects a strong node whose gate ran in a weaker sandbox', () => {
    expect(admission.decide(strongNode('allowlist', trusted, { ...trusted, sandbox: 'none' }), '1')).toMatchObject({ action: 'reject', rule: 'weaker-sandbox' });
  });

  it('rejects a strong node evaluated with other evaluator files or another spec', () => {
    expect(admission.decide(strongNode('allowlist', { ...trusted, evaluatorHash: 'edited' }), '1')).toMatchObject({ action: 'reject', rule: 'evaluator-changed' });
    expect(admission.decide(strongNode('allowlist', { ...trusted, specHash: 'edited' }), '1')).toMatchObject({ action: 'reject', rule: 'evaluator-changed' });
  });
});

describe('admission: verified improvement (the fixed test)', () => {
  const admission = admissionPolicy({ test: 'fixed', sigmas: 2, minRelativeGain: 0.002 });

  it('rejects a gain inside the noise of the parent, naming the rule and the evidence', () => {
    const s = searchWithBaseline();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.805, 0.815, 0.81]);
    const decision = admission.decide(fold(s.events), '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'dev-below-threshold', policy: { name: 'admission', version: 5 } });
    expect(decision.deltas.dev).toBeCloseTo(0.01);
    expect(decision.deltas.threshold).toBeGreaterThan(0.01);
    expect(decision.evidence).toHaveLength(2);
  });

  it('asks the gate when the dev gain clears the threshold, then admits when the gate agrees', () => {
    const s = searchWithBaseline();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.86, 0.87, 0.86]);
    expect(admission.decide(fold(s.events), '1')).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
    s.gate('1', 0.85);
    const decision = admission.decide(fold(s.events), '1');
    expect(decision).toMatchObject({ action: 'admit', rule: 'verified' });
    expect(decision.deltas.gate).toBeCloseTo(0.05);
    expect(decision.evidence).toHaveLength(4);
  });

  it('rejects when the gate disagrees with dev', () => {
    const s = searchWithBaseline();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.86, 0.87, 0.86]);
    s.gate('1', 0.79);
    expect(admission.decide(fold(s.events), '1')).toMatchObject({ action: 'reject', rule: 'gate-disagrees' });
  });

  it('rejects without a gate call when the gate budget is spent', () => {
    const s = searchWithBaseline({ experiments: 10, parallel: 1, gateEvaluations: 1 });
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.9, 0.9, 0.9]);
    expect(admission.decide(fold(s.events), '1')).toMatchObject({ action: 'reject', rule: 'gate-budget-exhausted' });
  });

  it('compares with the nearest admitted ancestor and orients a minimised metric', () => {
    const s = new EventScript('s1');
    s.start({ task: { name: 'd', specPath: 'p', specHash: 'h', repo: 'r', baseCommit: 'c0', objective: { metric: 'loss', direction: 'minimize' } } });
    s.baseline([1.0]);
    s.gate('0', 1.0);
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.5]);
    expect(admissionPolicy({ mode: 'dev-only' }).decide(fold(s.events), '1')).toMatchObject({ action: 'admit', rule: 'dev-improvement' });
    expect(admissionPolicy().decide(fold(s.events), '1').deltas.dev).toBeCloseTo(0.5);
  });
});

describe('selection', () => {
  // A node proposed under `parent`, scored `dev` on one run, and decided (`rule` for a refusal's reason).
  const scoredNode = (s: EventScript) => (id: string, parent: string, dev: number, admitted: boolean, rule?: string) => {
    s.propose(id, parent, { lr: dev });
    s.succeed(id, [dev]);
    s.decide(id, admitted, rule);
  };

  it('runs pending nodes before expanding, best parent first', () => {
    const s = searchWithBaseline();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.9, 0.9, 0.9]);
    s.gate('1', 0.9);
    s.decide('1', true);
    s.propose('2', '0', { lr: 0.2 });
    s.propose('1.1', '1', { lr: 0.3 });
    expect(selectionPolicy().decide(fold(s.events))).toMatchObject({ kind: 'run', nodeId: '1.1', rule: 'frontier-first' });
    expect(selectionPolicy({ strategy: 'flat' }).decide(fold(s.events))).toMatchObject({ kind: 'run', nodeId: '2' });
  });

  it('expands the best admitted node greedily, the root when flat, and by UCB when best-first', () => {
    const s = searchWithBaseline();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.9]);
    s.decide('1', true);
    const tree = fold(s.events);
    // By default the root first gets its initial design of new directions, whatever is admitted.
    expect(selectionPolicy().decide(tree)).toMatchObject({ kind: 'expand', parentId: '0', rule: 'initial-design', count: 2 });
    expect(selectionPolicy({ strategy: 'greedy', initialDesign: 0 }).decide(tree)).toMatchObject({ kind: 'expand', parentId: '1', rule: 'greedy-best' });
    expect(selectionPolicy({ strategy: 'flat', branching: 3 }).decide(tree)).toMatchObject({ kind: 'expand', parentId: '0', count: 3 });
    // Node 1 is best and has no children: it wins the UCB comparison with the root, which already has one.
    expect(selectionPolicy({ strategy: 'best-first', initialDesign: 1 }).decide(tree)).toMatchObject({ kind: 'expand', parentId: '1', rule: 'ucb' });
    // Random draws are a pure function of (seed, revision): two policies with the same parameters draw the same,
    // and over searches with other seeds the draw is not a constant.
    expect(selectionPolicy({ strategy: 'random', initialDesign: 0 }).decide(tree)).toEqual(selectionPolicy({ strategy: 'random', initialDesign: 0 }).decide(tree));
    const drawn = new Set<string>();
    for (let seed = 1; seed <= 20; seed += 1) {
      const other = new EventScript('s1');
      other.start({ seed });
      other.baseline([0.8, 0.81, 0.79]);
      other.propose('1', '0', { lr: 0.1 });
      other.succeed('1', [0.9, 0.9, 0.9]);
      other.decide('1', true);
      const decision = selectionPolicy({ strategy: 'random', initialDesign: 0 }).decide(fold(other.events));
      if (decision.kind === 'expand') drawn.add(decision.parentId);
    }
    expect([...drawn].sort()).toEqual(['0', '1']);
  });

  it('balances directions when asked: a direction holding most of the tree loses its best node to another admitted direction', () => {
    const s = searchWithBaseline();
    const node = scoredNode(s);
    node('1', '0', 0.9, true);
    node('2', '0', 0.88, true);
    node('1.1', '1', 0.92, true);
    node('1.2', '1', 0.85, false);
    node('1.1.1', '1.1', 0.93, true);
    const tree = fold(s.events);
    // Direction 1 holds 4 of the 5 nodes; its newest node 1.1.1 is best and childless, so plain UCB
    // picks it (the rank alone, children's outcomes left out, so the balance is seen on its own).
    const plain = { initialDesign: 0, childEvidence: 0 };
    expect(selectionPolicy(plain).decide(tree)).toMatchObject({ kind: 'expand', parentId: '1.1.1', rule: 'ucb' });
    expect(selectionPolicy({ ...plain, lineageBalance: 0 }).decide(tree)).toEqual(selectionPolicy(plain).decide(tree));
    // Weighted by 2, its 80 % share costs 1.6 against direction 2's 0.4: node 2 is expanded.
    const balanced = selectionPolicy({ ...plain, lineageBalance: 2 }).decide(tree);
    expect(balanced).toMatchObject({ kind: 'expand', parentId: '2', rule: 'ucb' });
    expect(balanced.reason).toMatch(/^2: rank 0\.25 \+ exploration 0\.67 − balance 0\.40 \(direction 2 holds 20% of the nodes\)/);
  });

  it("weighs a node's decided children against its rank: the best node whose children keep being refused yields its turn", () => {
    const s = searchWithBaseline();
    const node = scoredNode(s);
    node('1', '0', 0.9, true);
    node('2', '0', 0.88, true);
    node('1.1', '1', 0.95, true);
    node('1.1.1', '1.1', 0.9, false);
    node('1.1.2', '1.1', 0.91, false);
    node('1.1.3', '1.1', 0.92, false);
    const tree = fold(s.events);
    // Null case: with the rank alone (selection before version 3) node 1.1 is best and keeps the turn
    // (rank 1 + exploration 0.35, against node 1's 0.67 + 0.49 and node 2's 0.33 + 0.70).
    expect(selectionPolicy({ initialDesign: 0, childEvidence: 0 }).decide(tree)).toMatchObject({ kind: 'expand', parentId: '1.1', rule: 'ucb' });
    // Its three refusals weigh: (1 + 0.5 × 0) / (1 + 0.5 × 3) = 0.40, + exploration 0.35. Node 1,
    // whose one decided child (1.1) was admitted, rates (0.67 + 0.5) / 1.5 = 0.78 + 0.49 and is expanded.
    const weighed = selectionPolicy({ initialDesign: 0 }).decide(tree);
    expect(weighed).toMatchObject({ kind: 'expand', parentId: '1', rule: 'ucb' });
    expect(weighed.reason).toMatch(/^1: rank 0\.67 \(1 of 1 decided children admitted: 0\.78\) \+ exploration 0\.49 is the highest of 4/);
  });

  it('does not count refusals for want of gate budget against a node', () => {
    const s = searchWithBaseline();
    const node = scoredNode(s);
    node('1', '0', 0.9, true);
    node('2', '0', 0.88, true);
    node('1.1', '1', 0.95, true);
    for (const i of [1, 2, 3]) node(`1.1.${i}`, '1.1', 0.96, false, i === 3 ? 'gate-budget-exhausted' : 'gate-reserved');
    const tree = fold(s.events);
    // Hostile case: the candidates beat node 1.1 on dev and were only refused because the gate budget
    // was kept or spent; they say nothing against it, so it keeps its turn as under the rank alone.
    const decision = selectionPolicy({ initialDesign: 0 }).decide(tree);
    expect(decision).toMatchObject({ kind: 'expand', parentId: '1.1', rule: 'ucb' });
    expect(decision).toEqual({ ...selectionPolicy({ initialDesign: 0, childEvidence: 0 }).decide(tree), policy: decision.policy });
  });

  it('stops expanding a node at its maximum of children, but the root stays open for new directions', () => {
    const s = searchWithBaseline();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.9]);
    s.decide('1', true);
    s.propose('1.1', '1', { lr: 0.2 });
    s.failExperiment('1.1');
    expect(selectionPolicy({ strategy: 'greedy', maxChildren: 1, initialDesign: 0 }).decide(fold(s.events))).toMatchObject({ kind: 'expand', parentId: '0', rule: 'greedy-best' });
    const pruned = new EventScript('s1');
    pruned.start();
    pruned.baseline([0.8]);
    pruned.add({ type: 'NodePruned', data: { nodeId: '0', reason: 'test', rule: 'test', policy: { name: 'refinement', version: 1, params: {} } } });
    expect(selectionPolicy().decide(fold(pruned.events))).toMatchObject({ kind: 'none', rule: 'nothing-to-expand' });
  });
});

describe('refinement', () => {
  const refine = refinementPolicy({ falsifyAfter: 2, falsifyCoverage: 2, convergenceWindow: 3 });
  const now = new Date('2026-01-01T01:00:00Z');

  // Node 1 is admitted, then its last two children fail or are rejected, moving `first` and `second`.
  function falsified(first: string, second: string) {
    const s = searchWithBaseline();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.9]);
    s.decide('1', true);
    s.propose('1.1', '1', { [first]: 0.5 });
    s.failExperiment('1.1', 'crash');
    s.propose('1.2', '1', { [second]: 0.6 });
    s.succeed('1.2', [0.7]);
    s.decide('1.2', false);
    return s;
  }

  it('prunes an admitted node whose last children all failed or were rejected across enough parameters, with a written reason', () => {
    const decision = refine.decide(fold(falsified('lr', 'depth').events), now);
    expect(decision.prune).toEqual([
      {
        nodeId: '1',
        rule: 'children-falsified',
        reason: expect.stringContaining('1.1 failed: crash, 1.2 rejected: below-threshold) and its children varied depth, lr, every parameter known to matter (lr) among them'),
      },
    ]);
  });

  it('does not prune a node whose failed children all moved one parameter: that falsifies a step, not the direction', () => {
    expect(refine.decide(fold(falsified('lr', 'lr').events), now).prune).toEqual([]);
  });

  it('does not prune while a parameter known to matter elsewhere was never varied under the node', () => {
    // lr mattered at node 1 (its one-parameter change was admitted); the children tried depth and width only.
    expect(refine.decide(fold(falsified('depth', 'width').events), now).prune).toEqual([]);
    expect(refinementPolicy({ falsifyAfter: 2, falsifyCoverage: 2 }).decide(fold(falsified('depth', 'lr').events), now).prune).toHaveLength(1);
  });

  it('stops on convergence and on budget, never with experiments in flight for convergence', () => {
    const s = searchWithBaseline();
    for (const id of ['1', '2', '3']) {
      s.propose(id, '0', { lr: Number(id) });
      s.failExperiment(id);
    }
    expect(refine.decide(fold(s.events), now).stop).toEqual({ rule: 'converged', reason: '3 experiments in a row without an admission' });
    s.propose('4', '0', { lr: 4 });
    expect(refine.decide(fold(s.events), now).stop).toBeUndefined();

    const small = searchWithBaseline({ experiments: 1, parallel: 1, gateEvaluations: 1 });
    small.propose('1', '0', { lr: 1 });
    small.succeed('1', [0.9]);
    small.decide('1', false);
    expect(refine.decide(fold(small.events), now).stop).toMatchObject({ rule: 'budget' });
    expect(budgetStatus(fold(small.events), now)).toMatchObject({ experimentsUsed: 1, experimentsLeft: 0, exhausted: 'experiments' });
  });
});

describe('policy parameters', () => {
  it('are validated when the policies are built', () => {
    expect(() => buildPolicies({ selection: { strategy: 'sideways' as never } })).toThrow(/selection\.strategy/);
    expect(buildPolicies().admission.params.sigmas).toBe(1);
  });
});

describe('admission: adaptive repeats (the calibrated test)', () => {
  const admission = admissionPolicy();

  /** A search whose node 1 gained `gain` on dev over a baseline of 4 runs, with these many runs of its own. */
  function close(gain: number, runs: number): ReturnType<typeof fold> {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5, 0.51, 0.49, 0.5]);
    s.gate('0', 0.5);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', Array.from({ length: runs }, (_, i) => 0.5 + gain + (i % 2 === 0 ? 0.01 : -0.01)));
    return fold(s.events);
  }

  it('asks for more runs when the dev gain is within one standard error below its threshold', () => {
    const tree = close(0.006, 2);
    const decision = admission.decide(tree, '1');
    expect(decision).toMatchObject({ action: 'repeat', rule: 'dev-close', runs: 2 });
    expect(decision.deltas.dev).toBeLessThan(decision.deltas.threshold!);
    expect(decision.deltas.dev).toBeGreaterThan(decision.deltas.threshold! - decision.deltas.se!);
  });

  it('rejects instead once the candidate has its maximum of runs, and rejects a clear loss at once', () => {
    expect(admission.decide(close(0.006, 6), '1')).toMatchObject({ action: 'reject', rule: 'dev-below-threshold' });
    expect(admission.decide(close(-0.05, 2), '1')).toMatchObject({ action: 'reject', rule: 'dev-below-threshold' });
  });

  it('decides a noiseless evaluator on the relative floor and records only finite numbers', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5, 0.5, 0.5, 0.5]);
    s.gate('0', 0.5);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.6, 0.6]);
    const decision = admission.decide(fold(s.events), '1');
    expect(decision).toMatchObject({ action: 'gate', rule: 'dev-cleared' });
    expect(Object.values(decision.deltas).every(Number.isFinite)).toBe(true);
    expect(decision.deltas).not.toHaveProperty('critical');
  });

  it('is off in the fixed test', () => {
    expect(admissionPolicy({ test: 'fixed' }).decide(close(0.006, 2), '1').action).not.toBe('repeat');
  });
});
