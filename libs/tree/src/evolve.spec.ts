import type { RecordedSearchEvent } from '@hypotree/events';
import { evolve, fold, foldUntil, ProjectionError } from './evolve.js';
import type { SearchTree } from './model.js';
import { bestAdmitted, frontier, lineage, searchCounts } from './queries.js';
import { EventScript } from './testing/index.js';

/** given(past events).when(new event).then(tree) / .thenThrows(message): the projection as a specification. */
function given(past: RecordedSearchEvent[]) {
  const before = fold(past);
  return {
    when: (event: RecordedSearchEvent) => ({
      then: (check: (tree: SearchTree) => void) => check(evolve(before, event)),
      thenThrows: (message: RegExp) => expect(() => evolve(before, event)).toThrow(message),
    }),
  };
}

function started(): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.8, 0.81, 0.79]);
  return s;
}

describe('tree projection: the happy path', () => {
  it('a started search has a root node that becomes admitted once the baseline is measured', () => {
    const s = new EventScript('s1');
    given([s.start()]).when(s.baseline([0.8, 0.82])).then((tree) => {
      const root = tree.nodes.get('0')!;
      expect(root.status).toBe('admitted');
      expect(root.result!.mean).toBeCloseTo(0.81);
      expect(root.result!.stdev).toBeCloseTo(Math.SQRT2 * 0.01);
      expect(tree.revision).toBe(1);
    });
  });

  it('a proposal adds a child with dotted id to the frontier', () => {
    const s = started();
    const past = [...s.events];
    s.propose('1', '0', { lr: 0.1 });
    s.propose('1.1', '1', { lr: 0.2 });
    given(past).when(s.events[2]!).then((tree) => {
      expect(tree.nodes.get('0')!.children).toEqual(['1']);
      expect(frontier(tree).map((n) => n.id)).toEqual(['1']);
    });
    const tree = fold(s.events);
    expect(lineage(tree, '1.1').map((n) => n.id)).toEqual(['0', '1', '1.1']);
    expect(tree.nodes.get('1.1')!.depth).toBe(2);
  });

  it('a successful experiment, a gate and an admission make the best admitted node', () => {
    const s = started();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.85, 0.86]);
    s.gate('1', 0.84);
    const past = [...s.events];
    given(past).when(s.decide('1', true)).then((tree) => {
      expect(tree.nodes.get('1')!.status).toBe('admitted');
      expect(bestAdmitted(tree)!.id).toBe('1');
      expect(tree.gateEvaluationsUsed).toBe(1);
      expect(searchCounts(tree)).toMatchObject({ experiments: 1, admitted: 1, gateEvaluations: 1 });
    });
  });

  it('an expired lease puts the node back on the frontier, and a new attempt may finish it', () => {
    const s = started();
    s.propose('1', '0', { lr: 0.1 });
    s.failExperiment('1', 'lease-expired', 1);
    let tree = fold(s.events);
    expect(tree.nodes.get('1')!.status).toBe('proposed');
    expect(frontier(tree).map((n) => n.id)).toEqual(['1']);
    s.succeed('1', [0.9], 2);
    tree = fold(s.events);
    expect(tree.nodes.get('1')!.status).toBe('evaluated');
    expect(tree.nodes.get('1')!.experiments.map((e) => e.state)).toEqual(['failed', 'succeeded']);
  });

  it('a minimised objective orients scores so the lowest loss is best', () => {
    const s = new EventScript('s1');
    s.start({ task: { name: 'd', specPath: 'p', specHash: 'h', repo: 'r', baseCommit: 'c0', objective: { metric: 'loss', direction: 'minimize' } } });
    s.baseline([1.0]);
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.5]);
    s.decide('1', true);
    s.propose('2', '0', { a: 2 });
    s.succeed('2', [0.7]);
    s.decide('2', true);
    expect(bestAdmitted(fold(s.events))!.id).toBe('1');
  });

  it('folding up to a revision gives the tree as it stood then, and evolve leaves its input unchanged', () => {
    const s = started();
    s.propose('1', '0', { lr: 0.1 });
    const cut = s.events.length - 1;
    s.succeed('1', [0.9]);
    const then = foldUntil(s.events, cut);
    expect(then.nodes.get('1')!.status).toBe('proposed');
    const later = fold(s.events.slice(cut + 1), then);
    expect(later.nodes.get('1')!.status).toBe('evaluated');
    expect(then.nodes.get('1')!.status).toBe('proposed');
  });
});

describe('tree projection: purity', () => {
  it('never changes a tree it was given: later events copy the nodes they touch', () => {
    const s = started();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.9]);
    s.decide('1', true);
    const before = fold(s.events);
    const snapshot = JSON.stringify([...before.nodes.values()]);
    s.propose('1.1', '1', { lr: 0.2 });
    s.propose('2', '0', { lr: 0.3 });
    s.failExperiment('1.1', 'lease-expired');
    s.add({ type: 'InsightDistilled', data: { insightId: 'i', nodeId: '1', scope: 'node', kind: 'finding', text: 't', evidence: [], distiller: { kind: 'offline' } } });
    const after = fold(s.events.slice(before.revision + 1), before);
    expect(JSON.stringify([...before.nodes.values()])).toBe(snapshot);
    expect(after.nodes.get('1')!.children).toEqual(['1.1']);
    expect(after.nodes.get('0')!.children).toEqual(['1', '2']);
    expect(before.nodes.get('0')!.children).toEqual(['1']);
    expect(JSON.stringify([...fold(s.events).nodes.values()])).toBe(JSON.stringify([...after.nodes.values()]));
  });
});

describe('tree projection: illegal sequences raise a ProjectionError naming stream and revision', () => {
  it('an event before SearchStarted', () => {
    const s = new EventScript('s1');
    const e = s.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit: 'c', runs: [{ seed: 0, value: 1 }] } });
    expect(() => fold([e])).toThrow(ProjectionError);
    expect(() => fold([e])).toThrow(/search-s1@0 \(BaselineMeasured\): the search has not started/);
  });

  it('a result for an unknown node', () => {
    const s = started();
    const past = [...s.events];
    const result = s.add({
      type: 'ExperimentSucceeded',
      data: { experimentId: 'x', nodeId: '7', executorId: 'e', commit: 'c', ref: 'r', runs: [{ seed: 0, value: 1 }], report: { summary: '', filesChanged: [], insertions: 0, deletions: 0 }, durationMs: 1 },
    });
    given(past).when(result).thenThrows(/search-s1@2 \(ExperimentSucceeded\): unknown experiment x for node 7/);
  });

  it('admission of a failed experiment', () => {
    const s = started();
    s.propose('1', '0', { lr: 9 });
    s.failExperiment('1', 'crash');
    const past = [...s.events];
    given(past).when(s.decide('1', true)).thenThrows(/node 1 has no successful experiment \(status failed\)/);
  });

  it('two results for one experiment: the second is refused, never recorded twice', () => {
    const s = started();
    s.propose('1', '0', { lr: 0.1 });
    const first = s.succeed('1', [0.9]);
    const past = [...s.events];
    const duplicate = s.add({ type: first.type, data: first.data } as never);
    given(past).when(duplicate).thenThrows(/node 1 already has a result: a second result is never recorded/);
  });

  it('a duplicate failure, and a failure after a success: refused, never recorded twice', () => {
    const s = started();
    s.propose('1', '0', { lr: 9 });
    const failed = s.failExperiment('1', 'crash');
    const past = [...s.events];
    given(past).when(s.add({ type: failed.type, data: failed.data } as never)).thenThrows(/node 1 already has a result: a second result is never recorded/);
    const t = started();
    t.propose('1', '0', { lr: 0.1 });
    t.succeed('1', [0.9]);
    const succeeded = [...t.events];
    const late = t.add({ type: 'ExperimentFailed', data: { experimentId: '1#1', nodeId: '1', kind: 'timeout', detail: 'late' } });
    given(succeeded).when(late).thenThrows(/node 1 already has a result/);
  });

  it('a late failure of an attempt whose lease already expired (the node has a newer attempt)', () => {
    const s = started();
    s.propose('1', '0', { lr: 0.1 });
    s.dispatch('1');
    s.add({ type: 'ExperimentFailed', data: { experimentId: '1#1', nodeId: '1', kind: 'lease-expired', detail: 'silent' } });
    s.dispatch('1', 2);
    const past = [...s.events];
    const late = s.add({ type: 'ExperimentFailed', data: { experimentId: '1#1', nodeId: '1', kind: 'crash', detail: 'the old executor finally spoke' } });
    given(past).when(late).thenThrows(/experiment 1#1 already finished/);
  });

  it('a proposal whose id is not the next child of its parent', () => {
    const s = started();
    const past = [...s.events];
    given(past).when(s.propose('2', '0', { lr: 0.1 })).thenThrows(/the next child of 0 is 1, not 2/);
  });

  it('a gate count that skips', () => {
    const s = started();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.9]);
    const past = [...s.events];
    const skipped = s.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 0, value: 1 }], gateEvaluationsUsed: 5 } });
    given(past).when(skipped).thenThrows(/gate count 5 does not follow 0/);
  });

  it('a second decision on one node', () => {
    const s = started();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.9]);
    s.decide('1', false);
    const past = [...s.events];
    given(past).when(s.decide('1', true)).thenThrows(/node 1 was already rejected/);
  });
});

describe('branching', () => {
  it('a branch is the parent folded up to the branch revision, then its own events', () => {
    const parent = started();
    parent.propose('1', '0', { lr: 0.1 });
    const branchAt = parent.events.length - 1;
    parent.succeed('1', [0.9]);

    const child = new EventScript('s2');
    child.add({ type: 'SearchBranched', data: { searchId: 's2', parent: { searchId: 's1', revision: branchAt }, reason: 'try another admission policy' } });
    child.succeed('1', [0.7]);
    const tree = fold(child.events, foldUntil(parent.events, branchAt));
    expect(tree.searchId).toBe('s2');
    expect(tree.branchedFrom).toEqual({ searchId: 's1', revision: branchAt, reason: 'try another admission policy' });
    expect(tree.nodes.get('1')!.result!.mean).toBe(0.7);
    expect(tree.revision).toBe(child.events.length - 1);
  });

  it('a branch folded onto the wrong parent is refused', () => {
    const child = new EventScript('s2');
    const branched = child.add({ type: 'SearchBranched', data: { searchId: 's2', parent: { searchId: 's1', revision: 1 }, reason: 'x' } });
    expect(() => fold([branched])).toThrow(/a branch must be folded onto its parent search/);
    const other = new EventScript('s9');
    other.start({ searchId: 's9' });
    expect(() => fold([branched], fold(other.events))).toThrow(/branch names parent s1 but the tree is of s9/);
  });
});

describe('adaptive repeats in the fold', () => {
  it('adds the new runs to the result, and refuses a reused seed or a repeat after the decision', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5]);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.6, 0.62]);
    s.add({ type: 'ExperimentRepeated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 2, value: 0.64 }] } });
    const tree = fold(s.events);
    expect(tree.nodes.get('1')!.result!.runs.map((r) => r.value)).toEqual([0.6, 0.62, 0.64]);
    expect(tree.nodes.get('1')!.result!.mean).toBeCloseTo(0.62, 10);
    s.add({ type: 'ExperimentRepeated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 0.9 }] } });
    expect(() => fold(s.events)).toThrow(/reuses a seed/);
    s.events.pop();
    s.decide('1', false);
    s.add({ type: 'ExperimentRepeated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 3, value: 0.9 }] } });
    expect(() => fold(s.events)).toThrow(/already decided/);
  });
});
