import type { PolicyRef } from '@hypotree/events';
import { emptyTree, fold } from './evolve.js';
import {
  admitted,
  admittedAncestor,
  bestAdmitted,
  bestVerified,
  children,
  devScore,
  frontier,
  insightsOnPath,
  isPruned,
  lineage,
  node,
  root,
  running,
  searchCounts,
} from './queries.js';
import { EventScript } from './testing/index.js';

const refine: PolicyRef = { name: 'refinement', version: 1, params: {} };

function started(direction: 'maximize' | 'minimize' = 'maximize'): EventScript {
  const s = new EventScript('s1');
  s.start({ task: { name: 'd', specPath: 'p', specHash: 'h', repo: 'r', baseCommit: 'c0', objective: { metric: 'm', direction } } });
  s.baseline([0.5]);
  return s;
}

function prune(s: EventScript, nodeId: string): void {
  s.add({ type: 'NodePruned', data: { nodeId, reason: 'falsified', rule: 'children-falsified', policy: refine } });
}

describe('tree queries: finding nodes', () => {
  it('node gives the node with that id, and nothing for an unknown id', () => {
    const tree = fold(started().events);
    expect(node(tree, '0')!.id).toBe('0');
    expect(node(tree, '9')).toBeUndefined();
  });

  it('root is the baseline node, and a tree that has not started has none (the error names the search)', () => {
    expect(root(fold(started().events)).id).toBe('0');
    expect(() => root(emptyTree('s7'))).toThrow('search s7 has no root: it has not started');
    expect(() => root(emptyTree())).toThrow('search (none) has no root: it has not started');
  });

  it('children come in proposal order, and an unknown node has none', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.propose('2', '0', { a: 2 });
    s.propose('1.1', '1', { a: 3 });
    const tree = fold(s.events);
    expect(children(tree, '0').map((n) => n.id)).toEqual(['1', '2']);
    expect(children(tree, '1').map((n) => n.id)).toEqual(['1.1']);
    expect(children(tree, '9')).toStrictEqual([]);
  });

  it('lineage is the path from the root to the node, and empty for an unknown node', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.propose('1.1', '1', { a: 2 });
    s.propose('1.1.1', '1.1', { a: 3 });
    const tree = fold(s.events);
    expect(lineage(tree, '1.1.1').map((n) => n.id)).toEqual(['0', '1', '1.1', '1.1.1']);
    expect(lineage(tree, '0').map((n) => n.id)).toEqual(['0']);
    expect(lineage(tree, '7')).toEqual([]);
  });
});

describe('tree queries: pruning, frontier, running and admitted nodes', () => {
  function pruned(): EventScript {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.6]);
    s.decide('1', true);
    s.propose('1.1', '1', { a: 2 });
    s.propose('2', '0', { a: 3 });
    s.propose('3', '0', { a: 4 });
    s.dispatch('3');
    return s;
  }

  it('a node is pruned when it or any ancestor was pruned, and only then', () => {
    const s = pruned();
    expect(isPruned(fold(s.events), '1.1')).toBe(false);
    prune(s, '1');
    const tree = fold(s.events);
    expect(isPruned(tree, '1')).toBe(true);
    expect(isPruned(tree, '1.1')).toBe(true);
    expect(isPruned(tree, '2')).toBe(false);
    expect(isPruned(tree, '0')).toBe(false);
  });

  it('the frontier is the proposed nodes not yet dispatched, outside pruned subtrees', () => {
    const s = pruned();
    expect(frontier(fold(s.events)).map((n) => n.id)).toEqual(['1.1', '2']);
    prune(s, '1');
    expect(frontier(fold(s.events)).map((n) => n.id)).toEqual(['2']);
  });

  it('running nodes are those with an experiment in flight', () => {
    expect(running(fold(pruned().events)).map((n) => n.id)).toEqual(['3']);
  });

  it('admitted nodes include the measured root and leave pruned subtrees out', () => {
    const s = pruned();
    expect(admitted(fold(s.events)).map((n) => n.id)).toEqual(['0', '1']);
    prune(s, '1');
    expect(admitted(fold(s.events)).map((n) => n.id)).toEqual(['0']);
  });
});

describe('tree queries: scores and the best node', () => {
  it('devScore orients the mean dev score (larger is better) and is undefined without a result or an objective', () => {
    const s = started('minimize');
    s.propose('1', '0', { a: 1 });
    const tree = fold(s.events);
    expect(devScore(tree, tree.nodes.get('0')!)).toBe(-0.5);
    expect(devScore(tree, tree.nodes.get('1')!)).toBeUndefined();
    expect(devScore({ ...tree, objective: undefined }, tree.nodes.get('0')!)).toBeUndefined();
    expect(devScore(fold(started('maximize').events), tree.nodes.get('0')!)).toBe(0.5);
  });

  it('bestAdmitted is the admitted node with the best dev score, the earlier one on a tie, the root when nothing else was admitted', () => {
    const s = started();
    expect(bestAdmitted(fold(s.events))!.id).toBe('0');
    expect(bestAdmitted(emptyTree())).toBeUndefined();
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.7]);
    s.decide('1', true);
    s.propose('2', '0', { a: 2 });
    s.succeed('2', [0.7]);
    s.decide('2', true);
    s.propose('3', '0', { a: 3 });
    s.succeed('3', [0.9]);
    s.decide('3', false);
    expect(bestAdmitted(fold(s.events))!.id).toBe('1');
    s.propose('4', '0', { a: 4 });
    s.succeed('4', [0.8]);
    s.decide('4', true);
    expect(bestAdmitted(fold(s.events))!.id).toBe('4');
  });

  it('bestVerified is the best gate score among admitted nodes, dev breaking a tie, pruned nodes included', () => {
    const s = started();
    s.gate('0', 0.5);
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.9]);
    s.gate('1', 0.6);
    s.decide('1', true);
    s.propose('2', '0', { a: 2 });
    s.succeed('2', [0.7]);
    s.gate('2', 0.8);
    s.decide('2', true);
    // Node 2 is worse on dev but better on the gate: the gate decides.
    expect(bestVerified(fold(s.events))!.id).toBe('2');
    s.propose('3', '0', { a: 3 });
    s.succeed('3', [0.75]);
    s.gate('3', 0.8);
    s.decide('3', true);
    // A tie on the gate goes to the better dev score, whichever came first.
    expect(bestVerified(fold(s.events))!.id).toBe('3');
    s.propose('4', '0', { a: 4 });
    s.succeed('4', [0.75]);
    s.gate('4', 0.8);
    s.decide('4', true);
    // A tie on both keeps the earlier node.
    expect(bestVerified(fold(s.events))!.id).toBe('3');
    // A gated node that was rejected never counts, whatever its gate score.
    s.propose('5', '0', { a: 5 });
    s.succeed('5', [0.99]);
    s.gate('5', 0.99);
    s.decide('5', false);
    prune(s, '3');
    expect(bestVerified(fold(s.events))!.id).toBe('3');
  });

  it('bestVerified orients a minimised metric on the gate and on dev', () => {
    const s = started('minimize');
    s.gate('0', 0.5);
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.3]);
    s.gate('1', 0.4);
    s.decide('1', true);
    s.propose('2', '0', { a: 2 });
    s.succeed('2', [0.2]);
    s.gate('2', 0.4);
    s.decide('2', true);
    s.propose('3', '0', { a: 3 });
    s.succeed('3', [0.1]);
    s.gate('3', 0.45);
    s.decide('3', true);
    // Lowest gate first (0.4: nodes 1 and 2), then the lowest dev (node 2).
    expect(bestVerified(fold(s.events))!.id).toBe('2');
  });

  it('bestVerified falls back to the best on dev when no admitted node was gated (a dev-only search)', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.9]);
    s.decide('1', true);
    expect(bestVerified(fold(s.events))!.id).toBe('1');
  });

  it('admittedAncestor is the nearest admitted node above, never the node itself', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.6]);
    s.decide('1', true);
    s.propose('1.1', '1', { a: 2 });
    s.succeed('1.1', [0.7]);
    s.decide('1.1', false);
    s.propose('1.1.1', '1.1', { a: 3 });
    const tree = fold(s.events);
    expect(admittedAncestor(tree, '1.1.1')!.id).toBe('1');
    expect(admittedAncestor(tree, '1')!.id).toBe('0');
    expect(admittedAncestor(tree, '0')).toBeUndefined();
  });
});

describe('tree queries: insights on a path', () => {
  it('gives the active global insights, subtree insights of ancestors, and node insights of the node itself only', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.propose('1.1', '1', { a: 2 });
    s.propose('2', '0', { a: 3 });
    const insight = (insightId: string, nodeId: string, scope: 'node' | 'subtree' | 'global') =>
      s.add({ type: 'InsightDistilled', data: { insightId, nodeId, scope, kind: 'finding', text: insightId, evidence: [], distiller: { kind: 'offline' } } });
    insight('global-on-2', '2', 'global');
    insight('subtree-on-1', '1', 'subtree');
    insight('node-on-1', '1', 'node');
    insight('node-on-1.1', '1.1', 'node');
    insight('subtree-on-2', '2', 'subtree');
    insight('old', '1', 'subtree');
    s.add({ type: 'InsightSuperseded', data: { insightId: 'old', reason: 'a newer lesson', supersededBy: 'subtree-on-1' } });
    const tree = fold(s.events);
    expect(insightsOnPath(tree, '1.1').map((i) => i.id)).toEqual(['global-on-2', 'subtree-on-1', 'node-on-1.1']);
    expect(insightsOnPath(tree, '1').map((i) => i.id)).toEqual(['global-on-2', 'subtree-on-1', 'node-on-1']);
    expect(insightsOnPath(tree, '0').map((i) => i.id)).toEqual(['global-on-2']);
  });
});

describe('tree queries: counts', () => {
  it('counts finished experiments, failures, admissions, rejections, gate calls, insights and tokens; the baseline is no experiment', () => {
    const s = started();
    s.gate('0', 0.5);
    s.add({
      type: 'HypothesisProposed',
      data: { nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { a: 1 } }, proposer: { kind: 'llm', usage: { promptTokens: 7, completionTokens: 3 } }, insightsConsidered: [] },
    });
    s.succeed('1', [0.6]);
    s.gate('1', 0.6);
    s.decide('1', true);
    s.propose('2', '0', { a: 2 });
    s.succeed('2', [0.4]);
    s.decide('2', false);
    s.propose('3', '0', { a: 3 });
    s.failExperiment('3', 'crash');
    s.propose('4', '0', { a: 4 });
    s.failExperiment('4', 'lease-expired');
    s.propose('5', '0', { a: 5 });
    s.dispatch('5');
    s.propose('6', '0', { a: 6 });
    s.succeed('6', [0.7]);
    s.decide('6', true, 'dev-improvement');
    s.insight('1', 'i1');
    expect(searchCounts(fold(s.events))).toEqual({ nodes: 7, experiments: 4, failed: 1, admitted: 2, rejected: 1, gateEvaluations: 2, insights: 1, tokens: 10 });
  });
});
