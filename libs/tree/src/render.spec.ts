import { fold } from './evolve.js';
import { insightsOnPath } from './queries.js';
import { describeChange, describeNode, renderTree } from './render.js';
import { EventScript } from './testing/index.js';

describe('the text view of a tree', () => {
  it('shows ids, changes, scores against the parent, gate, status and insights', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.8]);
    s.propose('1', '0', { lr: 0.1 }, 'raise lr');
    s.succeed('1', [0.85]);
    s.gate('1', 0.84);
    s.decide('1', true);
    s.propose('2', '0', { lr: 5 }, 'huge lr');
    s.failExperiment('2', 'crash');
    s.propose('1.1', '1', { epochs: 20 }, 'train longer');
    s.add({
      type: 'InsightDistilled',
      data: { insightId: 'i1', nodeId: '1', scope: 'subtree', kind: 'finding', text: 'lr 0.1 helps', evidence: [], distiller: { kind: 'offline' } },
    });
    const tree = fold(s.events);
    expect(renderTree(tree, { insights: true })).toBe(
      [
        '0 baseline dev=0.8±0 [admitted]',
        '├─ 1 raise lr {lr=0.1} dev=0.85±0 (+0.05) gate=0.84 [admitted]',
        '│    · finding: lr 0.1 helps',
        '│  └─ 1.1 train longer {epochs=20} [proposed]',
        '└─ 2 huge lr {lr=5} [failed: crash]',
      ].join('\n'),
    );
    expect(insightsOnPath(tree, '1.1').map((i) => i.id)).toEqual(['i1']);
    expect(insightsOnPath(tree, '2')).toEqual([]);
  });

  it('leaves gate scores out with gate: false (for a model\'s prompt) and shows them by default (for a person)', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.8]);
    s.gate('0', 0.7913);
    s.propose('1', '0', { lr: 0.1 }, 'raise lr');
    s.succeed('1', [0.85]);
    s.gate('1', 0.8427);
    s.decide('1', true);
    const tree = fold(s.events);
    const forPerson = renderTree(tree, { insights: true });
    expect(forPerson).toContain('0 baseline dev=0.8±0 gate=0.7913 [admitted]');
    expect(forPerson).toContain('1 raise lr {lr=0.1} dev=0.85±0 (+0.05) gate=0.8427 [admitted]');
    const forModel = renderTree(tree, { insights: true, gate: false });
    expect(forModel).toBe(['0 baseline dev=0.8±0 [admitted]', '└─ 1 raise lr {lr=0.1} dev=0.85±0 (+0.05) [admitted]'].join('\n'));
    expect(forModel).not.toMatch(/gate|0\.7913|0\.8427/);
  });
});

describe('the text view: limits, warnings and formats', () => {
  it('says so when the search has not started', () => {
    expect(renderTree(fold([]))).toBe('(search not started)');
  });

  it('warns first when the search ran without the allowlist sandbox, and not when it ran with it', () => {
    const weak = new EventScript('s1');
    weak.start({ trust: { sandbox: 'none', allowUnsandboxed: true } });
    weak.baseline([0.8]);
    expect(renderTree(fold(weak.events)).split('\n')).toEqual([
      "!! sandbox: none — evaluations of this search ran without the allowlist sandbox",
      '0 baseline dev=0.8±0 [admitted]',
    ]);
    const strong = new EventScript('s1');
    strong.start({ trust: { sandbox: 'allowlist', allowUnsandboxed: false } });
    strong.baseline([0.8]);
    expect(renderTree(fold(strong.events))).toBe('0 baseline dev=0.8±0 [admitted]');
  });

  it('shows insights only when asked, and only active ones', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.8]);
    s.add({ type: 'InsightDistilled', data: { insightId: 'old', nodeId: '0', scope: 'node', kind: 'constraint', text: 'lr above 1 diverges', evidence: [], distiller: { kind: 'offline' } } });
    s.add({ type: 'InsightDistilled', data: { insightId: 'new', nodeId: '0', scope: 'node', kind: 'finding', text: 'lr 0.1 helps', evidence: [], distiller: { kind: 'offline' } } });
    s.add({ type: 'InsightSuperseded', data: { insightId: 'old', reason: 'a newer lesson', supersededBy: 'new' } });
    const tree = fold(s.events);
    expect(renderTree(tree, { insights: true })).toBe(['0 baseline dev=0.8±0 [admitted]', '  · finding: lr 0.1 helps'].join('\n'));
    expect(renderTree(tree)).toBe('0 baseline dev=0.8±0 [admitted]');
  });

  it('summarises subtrees below maxDepth as "… n more", and a leaf at maxDepth as itself', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.8]);
    s.propose('1', '0', { a: 1 }, 'one');
    s.propose('2', '0', { a: 2 }, 'two');
    s.propose('1.1', '1', { a: 3 }, 'deep');
    s.propose('1.2', '1', { a: 4 }, 'deeper');
    const tree = fold(s.events);
    expect(renderTree(tree, { maxDepth: 1 })).toBe(
      ['0 baseline dev=0.8±0 [admitted]', '├─ 1 one {a=1} [proposed]', '│  └─ … 2 more', '└─ 2 two {a=2} [proposed]'].join('\n'),
    );
    expect(renderTree(tree, { maxDepth: 0 })).toBe(['0 baseline dev=0.8±0 [admitted]', '└─ … 2 more'].join('\n'));
    expect(renderTree(tree, { maxDepth: 2 })).toBe(renderTree(tree));
  });

  it('describes a node: a loss against the parent with its sign, failure kind, pruned and exhausted marks', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.8]);
    s.propose('1', '0', { lr: 0.5 }, 'worse');
    s.succeed('1', [0.75, 0.77]);
    s.decide('1', false);
    s.propose('2', '0', { lr: 9 }, 'broken');
    s.failExperiment('2', 'timeout');
    s.add({ type: 'NodePruned', data: { nodeId: '1', reason: 'r', rule: 'children-falsified', policy: { name: 'refinement', version: 1, params: {} } } });
    s.add({ type: 'ExpansionExhausted', data: { nodeId: '0', proposer: 'offline', reason: 'nothing new' } });
    const tree = fold(s.events);
    expect(describeNode(tree, tree.nodes.get('1')!)).toBe('1 worse {lr=0.5} dev=0.76±0.01414 (-0.04) [rejected, pruned]');
    expect(describeNode(tree, tree.nodes.get('2')!)).toBe('2 broken {lr=9} [failed: timeout]');
    expect(describeNode(tree, tree.nodes.get('0')!)).toBe('0 baseline dev=0.8±0 [admitted, exhausted]');
  });

  it('shows an unchanged dev score against the parent as +0', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.8]);
    s.propose('1', '0', { lr: 0.5 }, 'same');
    s.succeed('1', [0.8]);
    const tree = fold(s.events);
    expect(describeNode(tree, tree.nodes.get('1')!)).toBe('1 same {lr=0.5} dev=0.8±0 (+0) [evaluated]');
  });

  it('indents the children of a last child under blank space, and those of an earlier child under a bar', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.8]);
    s.propose('1', '0', { a: 1 }, 'one');
    s.propose('2', '0', { a: 2 }, 'two');
    s.propose('1.1', '1', { a: 3 }, 'under one');
    s.propose('2.1', '2', { a: 4 }, 'under two');
    s.propose('2.1.1', '2.1', { a: 5 }, 'deepest');
    expect(renderTree(fold(s.events))).toBe(
      [
        '0 baseline dev=0.8±0 [admitted]',
        '├─ 1 one {a=1} [proposed]',
        '│  └─ 1.1 under one {a=3} [proposed]',
        '└─ 2 two {a=2} [proposed]',
        '   └─ 2.1 under two {a=4} [proposed]',
        '      └─ 2.1.1 deepest {a=5} [proposed]',
      ].join('\n'),
    );
  });

  it('orients the gain against the parent for a minimised metric: a lower loss shows as +', () => {
    const s = new EventScript('s1');
    s.start({ task: { name: 'd', specPath: 'p', specHash: 'h', repo: 'r', baseCommit: 'c0', objective: { metric: 'loss', direction: 'minimize' } } });
    s.baseline([1]);
    s.propose('1', '0', { lr: 0.5 }, 'better');
    s.succeed('1', [0.5]);
    const tree = fold(s.events);
    expect(describeNode(tree, tree.nodes.get('1')!)).toBe('1 better {lr=0.5} dev=0.5±0 (+0.5) [evaluated]');
  });

  it('describes changes: numbers to four significant digits, very large and very small ones in exponent form, text as is', () => {
    expect(describeChange({ kind: 'params', set: { lr: 0.123456, big: 12345, small: 0.0001234, zero: 0, name: 'adam', neg: -2000 } })).toBe(
      '{lr=0.1235, big=1.23e+4, small=1.23e-4, zero=0, name=adam, neg=-2.00e+3}',
    );
    expect(describeChange({ kind: 'params', set: { edge: 0.001, under: 999.94, at: 1000 } })).toBe('{edge=0.001, under=999.9, at=1.00e+3}');
  });

  it('describes a free-form change by its first eight words, marking a cut with …', () => {
    expect(describeChange({ kind: 'freeform', instructions: 'use a wider hidden layer' })).toBe('{use a wider hidden layer}');
    expect(describeChange({ kind: 'freeform', instructions: 'one two three four five six seven eight nine ten' })).toBe('{one two three four five six seven eight…}');
    expect(describeChange({ kind: 'freeform', instructions: 'one two three four five six seven eight' })).toBe('{one two three four five six seven eight}');
    // Runs of whitespace (spaces, newlines) separate words; nothing was cut, so nothing is marked.
    expect(describeChange({ kind: 'freeform', instructions: '  use  a\nwider   layer\n' })).toBe('{use a wider layer}');
  });
});
