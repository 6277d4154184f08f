import { fold } from './evolve.js';
import { insightsOnPath } from './queries.js';
import { renderTree } from './render.js';
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
