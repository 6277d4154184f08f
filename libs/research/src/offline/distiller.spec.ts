import { fold, type SearchTree } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { OfflineDistiller } from './distiller.js';
import { demoSpace, taskWith } from '../task.fixture.js';
import type { InsightDraft } from '../types.js';

const task = taskWith(demoSpace);
const distiller = new OfflineDistiller();

/** Records drafts as the coordinator would: InsightDistilled, then InsightSuperseded for what each replaces. */
function record(s: EventScript, drafts: InsightDraft[]): void {
  for (const d of drafts) {
    const { supersedes, ...data } = d;
    s.add({ type: 'InsightDistilled', data });
    for (const old of supersedes) s.add({ type: 'InsightSuperseded', data: { insightId: old, supersededBy: d.insightId, reason: 'recounted' } });
  }
}

/** Given: lr 0.001 → 0.1 (node 1) and → 0.5 (node 2) admitted; under 1, width 32 (1.2) and lr 0.5 (1.3) admitted; then lr raised three times under 1.2, crashing. */
function given(): { s: EventScript; ids: Record<string, string> } {
  const s = new EventScript('s1');
  const ids: Record<string, string> = {};
  s.start();
  s.baseline([0.6, 0.6]);
  s.propose('1', '0', { lr: 0.1 });
  s.succeed('1', [0.7, 0.7]);
  s.decide('1', true);
  s.propose('2', '0', { lr: 0.5 });
  s.succeed('2', [0.72, 0.72]);
  s.decide('2', true);
  s.propose('1.1', '1', { width: 4 });
  s.succeed('1.1', [0.65, 0.65]);
  s.decide('1.1', false);
  s.propose('1.2', '1', { width: 32 });
  s.succeed('1.2', [0.8, 0.8]);
  s.decide('1.2', true);
  s.propose('1.3', '1', { lr: 0.5 });
  s.succeed('1.3', [0.75, 0.75]);
  s.decide('1.3', true);
  [0.4, 0.6, 0.9].forEach((lr, i) => {
    s.propose(`1.2.${i + 1}`, '1.2', { lr });
    ids[`1.2.${i + 1}`] = s.failExperiment(`1.2.${i + 1}`, 'crash').id;
  });
  return { s, ids };
}

const distill = (tree: SearchTree, nodeId: string) => distiller.distill({ tree, task, nodeId });

describe('OfflineDistiller', () => {
  it('given three crashes raising lr above 0.1 under node 1.2, when the third is distilled, then a subtree constraint with a claim and evidence', async () => {
    const { s, ids } = given();
    const drafts = await distill(fold(s.events), '1.2.3');
    const constraint = drafts.find((d) => d.kind === 'constraint')!;
    expect(drafts.filter((d) => d.kind === 'constraint')).toHaveLength(1);
    expect(constraint).toMatchObject({
      nodeId: '1.2',
      scope: 'subtree',
      text: 'raising lr above 0.1 hurt 3/3 times under node 1.2 (1.2.1: crash, 1.2.2: crash, 1.2.3: crash)',
      claim: { param: 'lr', relation: 'above', value: 0.1, outcome: 'hurts', support: 3, of: 3 },
      evidence: [ids['1.2.1'], ids['1.2.2'], ids['1.2.3']],
      distiller: { kind: 'offline' },
      supersedes: [],
    });
    expect(constraint.insightId).toMatch(/^offline-lesson-[0-9a-f]{16}$/);
  });

  it('does not generalise the constraint to node 1 or the whole tree, where raising lr helped (1.3, 2)', async () => {
    const { s } = given();
    const drafts = await distill(fold(s.events), '1.2.3');
    expect(drafts.filter((d) => d.kind === 'constraint').map((d) => d.nodeId)).toEqual(['1.2']);
  });

  it('when re-distilled with the lesson recorded, then it emits nothing (no duplicate)', async () => {
    const { s } = given();
    record(s, await distill(fold(s.events), '1.2.3'));
    expect(await distill(fold(s.events), '1.2.3')).toEqual([]);
  });

  it('when a fourth observation arrives, then the recounted lesson supersedes the old one', async () => {
    const { s, ids } = given();
    record(s, await distill(fold(s.events), '1.2.3'));
    const old = [...fold(s.events).insights.values()].find((i) => i.kind === 'constraint')!;
    s.propose('1.2.4', '1.2', { lr: 0.2 });
    const result = s.succeed('1.2.4', [0.78, 0.78]);
    const rejected = s.decide('1.2.4', false);
    const drafts = await distill(fold(s.events), '1.2.4');
    const recounted = drafts.find((d) => d.kind === 'constraint')!;
    expect(recounted.claim).toEqual({ param: 'lr', relation: 'above', value: 0.1, outcome: 'hurts', support: 4, of: 4, isolation: 'one-factor' });
    expect(recounted.text).toContain('hurt 4/4 times under node 1.2');
    expect(recounted.evidence).toEqual([ids['1.2.1'], ids['1.2.2'], ids['1.2.3'], result.id, rejected.id]);
    expect(recounted.supersedes).toEqual([old.id]);
    expect(recounted.insightId).not.toBe(old.id);
  });

  it('keeps a lesson resting on dev scores alone a preference, never a hard constraint', async () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.6, 0.6]);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.7, 0.7]);
    s.decide('1', true);
    [0.4, 0.6, 0.9].forEach((lr, i) => {
      s.propose(`1.${i + 1}`, '1', { lr });
      s.succeed(`1.${i + 1}`, [0.65, 0.65]);
      s.decide(`1.${i + 1}`, false, 'dev-below-threshold');
    });
    const drafts = await distill(fold(s.events), '1.3');
    const lesson = drafts.find((d) => d.claim?.outcome === 'hurts')!;
    expect(lesson).toMatchObject({ kind: 'finding', basis: 'dev', claim: { param: 'lr', relation: 'above', support: 3, of: 3 } });
    expect(drafts.filter((d) => d.kind === 'constraint')).toEqual([]);
  });

  it('given an admitted change, then a finding on that node with a helps claim', async () => {
    const { s } = given();
    const tree = fold(s.events);
    const [finding] = await distill(tree, '1.2');
    expect(finding).toMatchObject({
      nodeId: '1.2',
      scope: 'subtree',
      kind: 'finding',
      text: 'node 1.2 (raise width 8 → 32) changed accuracy by +0.1 over node 1 and was admitted',
      claim: { param: 'width', relation: 'above', value: 8, outcome: 'helps', support: 1, of: 1 },
      evidence: [tree.nodes.get('1.2')!.result!.eventId, tree.nodes.get('1.2')!.decision!.eventId],
    });
  });

  it('given the same pattern helping across the tree, then a global finding', async () => {
    const { s } = given();
    const drafts = await distill(fold(s.events), '2');
    const global = drafts.find((d) => d.scope === 'global')!;
    expect(global).toMatchObject({
      nodeId: '0',
      kind: 'finding',
      text: 'raising lr above 0.001 helped 2/2 times across the tree (1: +0.1, 2: +0.12)',
      claim: { param: 'lr', relation: 'above', value: 0.001, outcome: 'helps', support: 2, of: 2 },
    });
  });
});
