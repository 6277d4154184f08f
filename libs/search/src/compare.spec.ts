import type { Parameter } from '@hypotree/task';
import { fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { compareSearches, familySpend, nodeIdentity } from './compare.js';

// Two searches side by side: nodes matched by what they test, not by id; the decision sequence
// decides `identical`; what a family paid for counts each measurement once.

const space = [
  { name: 'a', type: 'float', min: 0, max: 1, default: 0.5 },
  { name: 'b', type: 'float', min: 0, max: 1, default: 0.5 },
] as Parameter[];

function search(id: string, admitFirst: boolean, secondConfig: Record<string, number>) {
  const s = new EventScript(id);
  s.start();
  s.baseline([0.5, 0.5]);
  s.propose('1', '0', { a: 0.9 });
  s.succeed('1', [0.7, 0.7]);
  s.decide('1', admitFirst, admitFirst ? 'verified' : 'gate-disagrees');
  s.propose('2', '0', secondConfig);
  s.succeed('2', [0.6, 0.6]);
  s.decide('2', false);
  return { tree: fold(s.events), history: s.events };
}

describe('compareSearches', () => {
  it('calls two searches identical when every decision is the same, in the same order', () => {
    const c = compareSearches(search('a', true, { b: 0.1 }), search('b', true, { b: 0.1 }), space);
    expect(c).toMatchObject({ identical: true, changed: [], onlyInA: [], onlyInB: [], same: 3 });
  });

  it('matches nodes by what they test, and lists changed decisions with both rules and the nodes only one has', () => {
    const c = compareSearches(search('a', true, { b: 0.1 }), search('b', false, { b: 0.2 }), space);
    expect(c.identical).toBe(false);
    expect(c.changed).toEqual([{ a: expect.objectContaining({ nodeId: '1', outcome: 'admitted', rule: 'verified' }), b: expect.objectContaining({ nodeId: '1', outcome: 'rejected', rule: 'gate-disagrees' }) }]);
    expect(c.onlyInA.map((n) => n.nodeId)).toEqual(['2']);
    expect(c.onlyInB.map((n) => n.nodeId)).toEqual(['2']);
  });

  it('gives the same identity to the same configuration reached along another path, and another to a free-form change', () => {
    const s = new EventScript('p');
    s.start();
    s.baseline([0.5]);
    s.propose('1', '0', { a: 0.9 });
    s.succeed('1', [0.7]);
    s.decide('1', true);
    s.propose('1.1', '1', { b: 0.1 });
    s.propose('2', '0', { a: 0.9, b: 0.1 });
    s.add({ type: 'HypothesisProposed', data: { nodeId: '3', parentId: '0', title: 'rewrite', mechanism: 'm', prediction: 'p', change: { kind: 'freeform', instructions: 'use adam' }, proposer: { kind: 'script' }, insightsConsidered: [] } });
    const tree = fold(s.events);
    expect(nodeIdentity(tree, '1.1', space)).toBe(nodeIdentity(tree, '2', space));
    expect(nodeIdentity(tree, '3', space)).toBe('changes [{"kind":"freeform","instructions":"use adam"}]');
    expect(nodeIdentity(tree, '0', space)).toBe('baseline');
  });
});

describe('familySpend', () => {
  it('counts each measurement once across a branch and its parent, and reused ones not at all', () => {
    const { history } = search('a', true, { b: 0.1 });
    const reuse = new EventScript('r');
    reuse.add({ type: 'SearchBranched', data: { searchId: 'r', parent: { searchId: 'a', revision: 0 }, reason: 'replay', replay: { of: 'a' } } });
    reuse.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 0.7 }], gateEvaluationsUsed: 1, reusedFrom: { searchId: 'a', eventId: 'x' } } });
    const spend = familySpend([{ history }, { history }, { history: [history[0]!, ...reuse.events] }]);
    expect(spend).toMatchObject({ searches: 3, experiments: 2, gateEvaluations: 0, testScores: 0, modelCalls: 0 });
  });
});
