import type { SearchEvent } from '@hypotree/events';
import { emptyTree, evolve, fold, ProjectionError } from './evolve.js';
import { EventScript, scriptAdmission } from './testing/index.js';

// Every event the fold refuses, one rule at a time, with the message that names it; and what the
// fold records for the events it accepts. Each refusal is checked against the same events without
// the offending one, so a guard that fires too often fails here as well.

function started(): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.5]);
  return s;
}

/** Folds the script's events, then expects `event` (appended with the next revision) to be refused with `message`. */
function refuses(s: EventScript, event: SearchEvent, message: string | RegExp): void {
  const before = fold(s.events);
  const next = s.add(event);
  expect(() => evolve(before, next)).toThrow(message);
}

const usage = (promptTokens: number, completionTokens: number) => ({ promptTokens, completionTokens });
const policy = { name: 'refinement', version: 1, params: {} };
const report = { summary: 's', filesChanged: [], insertions: 0, deletions: 0 };

describe('the fold: errors and the empty tree', () => {
  it('raises a ProjectionError that carries the stream, revision and event type', () => {
    const s = started();
    const before = fold(s.events);
    const again = s.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit: 'c0', runs: [{ seed: 0, value: 0.5 }] } });
    let error: unknown;
    try {
      evolve(before, again);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProjectionError);
    expect(error).toMatchObject({ name: 'ProjectionError', streamId: 'search-s1', revision: 2, eventType: 'BaselineMeasured', message: 'search-s1@2 (BaselineMeasured): the baseline was already measured' });
  });

  it('starts from no search at revision -1, so the first event is revision 0', () => {
    expect(emptyTree()).toMatchObject({ searchId: '', revision: -1, gateEvaluationsUsed: 0, tokensUsed: 0 });
    expect(emptyTree('s9').searchId).toBe('s9');
    expect(fold([]).revision).toBe(-1);
  });

  it('refuses an event type it does not know', () => {
    refuses(started(), { type: 'SomethingElse', data: {} } as never, 'unhandled event SomethingElse');
  });
});

describe('the fold: starting and branching', () => {
  it('creates the root as running until the baseline is measured, then admitted with the baseline artifact as its result', () => {
    const s = new EventScript('s1');
    s.start();
    expect(fold(s.events).nodes.get('0')).toMatchObject({ status: 'running', parentId: null, depth: 0, children: [] });
    s.baseline([0.5, 0.7], 'c-base');
    const root = fold(s.events).nodes.get('0')!;
    expect(root.status).toBe('admitted');
    expect(root.result).toMatchObject({ experimentId: 'baseline', commit: 'c-base', ref: '', report: { summary: 'baseline artifact', filesChanged: [], insertions: 0, deletions: 0 }, eventId: s.events[1]!.id });
  });

  it('refuses a second start and a second baseline', () => {
    const s = started();
    refuses(s, s.events[0]!, 'the search was already started');
    s.events.pop();
    refuses(s, { type: 'BaselineMeasured', data: { nodeId: '0', commit: 'c0', runs: [{ seed: 0, value: 0.5 }] } }, 'the baseline was already measured');
  });

  it('gives a branch the parent\'s task and policies, with the branch\'s own policies replacing those it names', () => {
    const parent = started();
    const child = new EventScript('s2');
    const admission = { name: 'admission', version: 3, params: { alpha: 0.01 } };
    child.add({ type: 'SearchBranched', data: { searchId: 's2', parent: { searchId: 's1', revision: 1 }, reason: 'stricter admission', policies: { admission } } });
    const tree = fold(child.events, fold(parent.events));
    expect(tree.started!.searchId).toBe('s2');
    expect(tree.started!.task).toEqual(fold(parent.events).started!.task);
    expect(tree.started!.policies.admission).toEqual(admission);
    expect(tree.started!.policies.selection).toEqual(fold(parent.events).started!.policies.selection);
    expect(tree.startedAt).toBe(child.events[0]!.metadata.at);
  });
});

describe('the fold: after completion', () => {
  function completed(): EventScript {
    const s = started();
    s.complete('0');
    return s;
  }
  const finalTest = (best = '0', baseline = '0') =>
    ({ type: 'FinalTestEvaluated', data: { baseline: { nodeId: baseline, commit: 'c0', value: 0.5 }, best: { nodeId: best, commit: 'c0', value: 0.5 }, relativeGain: 0, gateEvaluations: 0 } }) as const;

  it('records the completion, and refuses a completion naming an unknown best node', () => {
    const s = completed();
    expect(fold(s.events).completed).toEqual({ reason: 'budget: the experiments budget is spent', bestNodeId: '0' });
    refuses(started(), { type: 'SearchCompleted', data: { reason: 'done', bestNodeId: '7' } }, 'unknown node 7');
  });

  it('accepts only the held-out test once the search is completed', () => {
    const s = completed();
    refuses(s, { type: 'HypothesisProposed', data: { nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { a: 1 } }, proposer: { kind: 'x' }, insightsConsidered: [] } }, 'the search is already completed');
    s.events.pop();
    s.add(finalTest());
    expect(fold(s.events).finalTest).toMatchObject({ best: { nodeId: '0' } });
  });

  it('refuses the held-out test before completion, twice, on another node than the chosen best, or with another baseline', () => {
    refuses(started(), finalTest(), 'the held-out test comes after SearchCompleted');
    const twice = completed();
    twice.add(finalTest());
    refuses(twice, finalTest(), 'the held-out test is computed once per search');
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.complete('0');
    refuses(s, finalTest('1'), 'the test scored 1, but the search chose 0');
    s.events.pop();
    refuses(s, finalTest('0', '1'), 'the baseline is node 0, not 1');
  });
});

describe('the fold: proposals and dispatches', () => {
  it('refuses a proposal under an unknown parent, or with the id of an existing node', () => {
    const s = started();
    refuses(s, { type: 'HypothesisProposed', data: { nodeId: '9.1', parentId: '9', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { a: 1 } }, proposer: { kind: 'x' }, insightsConsidered: [] } }, 'unknown node 9');
    s.events.pop();
    s.propose('1', '0', { a: 1 });
    refuses(s, s.events.at(-1)!, 'node 1 already exists');
  });

  it('refuses a second dispatch of one experiment id', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.propose('2', '0', { a: 2 });
    s.dispatch('1');
    refuses(s, { type: 'ExperimentDispatched', data: { experimentId: '1#1', nodeId: '2', baseCommit: 'c0', attempt: 1, leaseMs: 60_000 } }, 'experiment 1#1 was already dispatched');
  });

  it('refuses a dispatch for a node that already has a result or a failure', () => {
    const withResult = started();
    withResult.propose('1', '0', { a: 1 });
    withResult.succeed('1', [0.6]);
    refuses(withResult, { type: 'ExperimentDispatched', data: { experimentId: '1#2', nodeId: '1', baseCommit: 'c0', attempt: 2, leaseMs: 60_000 } }, 'node 1 already has its evidence');
    const withFailure = started();
    withFailure.propose('1', '0', { a: 1 });
    withFailure.failExperiment('1', 'crash');
    refuses(withFailure, { type: 'ExperimentDispatched', data: { experimentId: '1#2', nodeId: '1', baseCommit: 'c0', attempt: 2, leaseMs: 60_000 } }, 'node 1 already has its evidence');
  });

  it('refuses a second attempt while one is in flight (dispatched or started), and allows it once the lease expired', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.dispatch('1');
    const second = { type: 'ExperimentDispatched', data: { experimentId: '1#2', nodeId: '1', baseCommit: 'c0', attempt: 2, leaseMs: 60_000 } } as const;
    refuses(s, second, 'node 1 already has an experiment in flight');
    s.events.pop();
    s.add({ type: 'ExperimentStarted', data: { experimentId: '1#1', nodeId: '1', executorId: 'x-1' } });
    refuses(s, second, 'node 1 already has an experiment in flight');
    s.events.pop();
    s.add({ type: 'ExperimentFailed', data: { experimentId: '1#1', nodeId: '1', kind: 'lease-expired', detail: 'silent' } });
    s.add(second);
    const tree = fold(s.events);
    expect(tree.nodes.get('1')!.experiments.map((e) => [e.experimentId, e.state])).toEqual([['1#1', 'failed'], ['1#2', 'dispatched']]);
    expect(tree.nodes.get('1')!.status).toBe('running');
  });

  it('records who started an attempt, and refuses a second start', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.dispatch('1');
    s.add({ type: 'ExperimentStarted', data: { experimentId: '1#1', nodeId: '1', executorId: 'x-7' } });
    expect(fold(s.events).nodes.get('1')!.experiments[0]).toMatchObject({ state: 'started', executorId: 'x-7' });
    refuses(s, { type: 'ExperimentStarted', data: { experimentId: '1#1', nodeId: '1', executorId: 'x-8' } }, 'experiment 1#1 is started, not dispatched');
  });
});

describe('the fold: results and failures', () => {
  it('refuses the late success of an attempt whose lease already expired', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.dispatch('1');
    s.add({ type: 'ExperimentFailed', data: { experimentId: '1#1', nodeId: '1', kind: 'lease-expired', detail: 'silent' } });
    s.dispatch('1', 2);
    refuses(
      s,
      { type: 'ExperimentSucceeded', data: { experimentId: '1#1', nodeId: '1', executorId: 'x-1', commit: 'c', ref: 'r', runs: [{ seed: 0, value: 1 }], report, durationMs: 1 } },
      'experiment 1#1 already finished',
    );
  });

  it('keeps the sandbox of a result written before integrity records, and no integrity when neither was written', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.dispatch('1');
    s.add({ type: 'ExperimentSucceeded', data: { experimentId: '1#1', nodeId: '1', executorId: 'x-1', commit: 'c1', ref: 'r', runs: [{ seed: 0, value: 1 }], report, durationMs: 1, sandbox: 'isolated' } });
    s.propose('2', '0', { a: 2 });
    s.dispatch('2');
    s.add({ type: 'ExperimentSucceeded', data: { experimentId: '2#1', nodeId: '2', executorId: 'x-1', commit: 'c2', ref: 'r', runs: [{ seed: 0, value: 1 }], report, durationMs: 1 } });
    const tree = fold(s.events);
    expect(tree.nodes.get('1')!.result!.integrity).toEqual({ sandbox: 'isolated' });
    expect(tree.nodes.get('2')!.result!.integrity).toBeUndefined();
  });

  it('counts the tokens of proposers, implementers (on success and on failure) and distillers', () => {
    const s = started();
    s.add({ type: 'HypothesisProposed', data: { nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { a: 1 } }, proposer: { kind: 'llm', usage: usage(1, 2) }, insightsConsidered: [] } });
    s.propose('2', '0', { a: 2 });
    s.dispatch('1');
    s.add({ type: 'ExperimentSucceeded', data: { experimentId: '1#1', nodeId: '1', executorId: 'x', commit: 'c1', ref: 'r', runs: [{ seed: 0, value: 1 }], report, durationMs: 1, implementation: { implementer: 'llm', attempts: 1, usage: usage(10, 20) } } });
    s.dispatch('2');
    s.add({ type: 'ExperimentFailed', data: { experimentId: '2#1', nodeId: '2', kind: 'crash', detail: 'd', implementation: { implementer: 'llm', attempts: 1, usage: usage(100, 200) } } });
    s.add({ type: 'InsightDistilled', data: { insightId: 'i', nodeId: '1', scope: 'node', kind: 'finding', text: 't', evidence: [], distiller: { kind: 'llm', usage: usage(1000, 2000) } } });
    expect(fold(s.events).tokensUsed).toBe(3333);
  });

  it('refuses a repeat of a node without a result, on another commit, or reusing any seed it already ran', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    refuses(s, { type: 'ExperimentRepeated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 5, value: 1 }] } }, 'node 1 has no result to repeat');
    s.events.pop();
    s.succeed('1', [0.6, 0.62]);
    refuses(s, { type: 'ExperimentRepeated', data: { nodeId: '1', commit: 'other', runs: [{ seed: 5, value: 1 }] } }, 'repeat ran on other, node 1 is commit-1');
    s.events.pop();
    refuses(s, { type: 'ExperimentRepeated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 5, value: 1 }, { seed: 1, value: 1 }] } }, 'repeat of node 1 reuses a seed it already ran');
  });
});

/** A search whose admission policy takes second gate looks of `gateExtend` runs (0: none). */
function startedWithSecondLooks(gateExtend: number): EventScript {
  const s = new EventScript('s1');
  s.start({ policies: { admission: scriptAdmission({ gateExtend }) } });
  s.baseline([0.5]);
  return s;
}

describe('the fold: the gate', () => {
  function evaluated(gateExtend = 2): EventScript {
    const s = startedWithSecondLooks(gateExtend);
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.6]);
    return s;
  }

  it('refuses a gate for a node without a result, on another commit than its result, or a second gate of one node', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    refuses(s, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 0, value: 1 }], gateEvaluationsUsed: 1 } }, 'node 1 has no successful experiment to gate');
    const other = evaluated();
    refuses(other, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'other', runs: [{ seed: 0, value: 1 }], gateEvaluationsUsed: 1 } }, 'gate ran on other, node 1 is commit-1');
    const twice = evaluated();
    twice.gate('1', 0.6);
    refuses(twice, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 1 }], gateEvaluationsUsed: 2 } }, 'node 1 was already gated: a second look must name the gate evaluation it extends');
    const afterFailure = evaluated();
    const failed = afterFailure.add({ type: 'GateFailed', data: { nodeId: '1', commit: 'commit-1', kind: 'timeout', detail: 'slow', gateEvaluationsUsed: 1 } });
    refuses(afterFailure, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 0, value: 1 }], gateEvaluationsUsed: 2 } }, 'node 1 was already gated: its gate evaluation failed');
    afterFailure.events.pop();
    refuses(afterFailure, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 1 }], gateEvaluationsUsed: 2, extendsGate: failed.id } }, 'node 1 was already gated: its gate evaluation failed');
  });

  it('adds a second look to the node\'s gate runs: new seeds, before the decision, at most once, naming the first', () => {
    const s = evaluated();
    const first = s.gate('1', 0.6);
    refuses(s, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 1 }], gateEvaluationsUsed: 2, extendsGate: 'some-other-event' } }, `extends gate evaluation some-other-event, but node 1's last one is ${first.id}`);
    s.events.pop();
    refuses(s, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 1 }, { seed: 0, value: 1 }], gateEvaluationsUsed: 2, extendsGate: first.id } }, 'second gate look of node 1 reuses a seed it already ran');
    s.events.pop();
    const second = s.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 0.7 }, { seed: 2, value: 0.8 }], gateEvaluationsUsed: 2, integrity: { sandbox: 'isolated', specHash: 'h', evaluatorHash: 'e' }, extendsGate: first.id } });
    const tree = fold(s.events);
    const gate = tree.nodes.get('1')!.gate!;
    expect(gate.runs.map((r) => r.seed)).toEqual([0, 1, 2]);
    expect(gate.mean).toBeCloseTo(0.7, 12);
    expect(gate.eventId).toBe(second.id);
    expect(gate.integrity).toEqual({ sandbox: 'isolated', specHash: 'h', evaluatorHash: 'e' });
    expect(gate.firstLook).toEqual({ eventId: first.id, integrity: undefined, runs: 1 });
    expect(tree.gateEvaluationsUsed).toBe(2);
    refuses(s, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 3, value: 1 }], gateEvaluationsUsed: 3, extendsGate: second.id } }, 'node 1 has had both its gate looks');
    const late = evaluated();
    const look = late.gate('1', 0.6);
    late.decide('1', false, 'gate-disagrees');
    refuses(late, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 1 }], gateEvaluationsUsed: 2, extendsGate: look.id } }, 'node 1 was already decided: a second gate look comes before the decision');
    const doubled = evaluated();
    const once = doubled.gate('1', 0.6);
    refuses(doubled, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 5, value: 1 }, { seed: 5, value: 1 }], gateEvaluationsUsed: 2, extendsGate: once.id } }, 'second gate look of node 1 runs a seed twice');
    const root = started();
    const baselineGate = root.gate('0', 0.5);
    refuses(root, { type: 'GateEvaluated', data: { nodeId: '0', commit: 'c0', runs: [{ seed: 5, value: 0.9 }], gateEvaluationsUsed: 2, extendsGate: baselineGate.id } }, "the baseline's gate evaluation is not extended");
    const ungated = evaluated();
    refuses(ungated, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 1 }], gateEvaluationsUsed: 1, extendsGate: 'nothing' } }, 'node 1 has no gate evaluation for');
  });

  it('refuses a second look the search\'s admission policy does not take: none when gateExtend is 0, and only as many runs as it sets', () => {
    const off = evaluated(0);
    const first = off.gate('1', 0.6);
    const look = (runs: number, extendsGate = first.id) => ({ type: 'GateEvaluated' as const, data: { nodeId: '1', commit: 'commit-1', runs: Array.from({ length: runs }, (_, i) => ({ seed: i + 1, value: 0.7 })), gateEvaluationsUsed: 2, extendsGate } });
    refuses(off, look(2), `is a second gate look of node 1, but this search's admission policy takes none (gateExtend 0)`);
    const failedOff = evaluated(0);
    const firstOff = failedOff.gate('1', 0.6);
    refuses(failedOff, { type: 'GateFailed', data: { nodeId: '1', commit: 'commit-1', kind: 'timeout', detail: 'slow', gateEvaluationsUsed: 2, extendsGate: firstOff.id } }, 'takes none (gateExtend 0)');
    const on = evaluated(2);
    const firstOn = on.gate('1', 0.6);
    refuses(on, look(3, firstOn.id), "second gate look of node 1 ran 3 seeds; this search's admission policy runs 2 (gateExtend)");
    on.events.pop();
    on.add(look(2, firstOn.id));
    expect(fold(on.events).nodes.get('1')!.gate!.runs).toHaveLength(3);
    // A failed second look under a policy that takes them is a failure of the node's gate, counted.
    const failing = evaluated(2);
    const firstFailing = failing.gate('1', 0.6);
    const failedLook = failing.add({ type: 'GateFailed', data: { nodeId: '1', commit: 'commit-1', kind: 'timeout', detail: 'slow', gateEvaluationsUsed: 2, extendsGate: firstFailing.id } });
    const failedTree = fold(failing.events);
    expect(failedTree.nodes.get('1')!.gateFailure).toMatchObject({ kind: 'timeout', eventId: failedLook.id });
    expect(failedTree.nodes.get('1')!.gate!.runs).toHaveLength(1);
    expect(failedTree.gateEvaluationsUsed).toBe(2);
  });

  it('reads a gateExtend that is absent (a log from before second looks) or not a positive whole number of runs as no second looks', () => {
    for (const gateExtend of [undefined, '2', 2.5, -2, true]) {
      const s = new EventScript('s1');
      s.start({ policies: { admission: scriptAdmission(gateExtend === undefined ? {} : { gateExtend }) } });
      s.baseline([0.5]);
      s.propose('1', '0', { a: 1 });
      s.succeed('1', [0.6]);
      const first = s.gate('1', 0.6);
      const runs = [1, 2].map((seed) => ({ seed, value: 0.7 }));
      refuses(s, { type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs, gateEvaluationsUsed: 2, extendsGate: first.id } }, "this search's admission policy takes none (gateExtend 0)");
    }
  });

  it('takes the second-look setting from a branch\'s policies: a branch that turns second looks on allows them, one that turns them off refuses them', () => {
    const policy = (gateExtend: number) => scriptAdmission({ gateExtend });
    const turnedOn = evaluated(0);
    const first = turnedOn.gate('1', 0.6);
    const parent = fold(turnedOn.events);
    const branched = new EventScript('b1');
    branched.add({ type: 'SearchBranched', data: { searchId: 'b1', parent: { searchId: 's1', revision: parent.revision }, reason: 'second looks', policies: { admission: policy(4) } } });
    const look = { type: 'GateEvaluated' as const, data: { nodeId: '1', commit: 'commit-1', runs: [1, 2, 3, 4].map((seed) => ({ seed, value: 0.7 })), gateEvaluationsUsed: 2, extendsGate: first.id } };
    branched.add(look);
    expect(fold(branched.events, parent).nodes.get('1')!.gate!.runs).toHaveLength(5);
    const turnedOff = new EventScript('b2');
    turnedOff.add({ type: 'SearchBranched', data: { searchId: 'b2', parent: { searchId: 's1', revision: parent.revision }, reason: 'no second looks', policies: { admission: policy(0) } } });
    const onBefore = evaluated(4);
    const firstBefore = onBefore.gate('1', 0.6);
    turnedOff.add({ ...look, data: { ...look.data, extendsGate: firstBefore.id } });
    expect(() => fold(turnedOff.events, fold(onBefore.events))).toThrow('takes none (gateExtend 0)');
  });

  it('records a failed gate call as a failure with its kind and detail, counted against the gate budget, with no score', () => {
    const s = evaluated();
    const failed = s.add({ type: 'GateFailed', data: { nodeId: '1', commit: 'commit-1', kind: 'no-metric', detail: 'printed nothing', gateEvaluationsUsed: 1 } });
    const tree = fold(s.events);
    expect(tree.nodes.get('1')!.gateFailure).toEqual({ kind: 'no-metric', detail: 'printed nothing', eventId: failed.id });
    expect(tree.nodes.get('1')!.gate).toBeUndefined();
    expect(tree.gateEvaluationsUsed).toBe(1);
  });
});

describe('the fold: decisions, insights, exhaustion and pruning', () => {
  it('refuses a second decision, naming the first', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.succeed('1', [0.6]);
    s.decide('1', true);
    refuses(s, { type: 'HypothesisRejected', data: { nodeId: '1', policy, rule: 'r', reason: 'r', evidence: [], deltas: {} } }, 'node 1 was already admitted');
  });

  it('keeps a node\'s insights when a later event changes the node', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.insight('1', 'i1');
    const before = fold(s.events);
    s.add({ type: 'NodePruned', data: { nodeId: '1', reason: 'r', rule: 'children-falsified', policy } });
    expect(fold(s.events.slice(-1), before).nodes.get('1')!.insights).toEqual(['i1']);
  });

  it('refuses an insight id twice and superseding an unknown insight; a superseded insight is inactive and names its successor', () => {
    const s = started();
    s.insight('0', 'i1');
    refuses(s, { type: 'InsightDistilled', data: { insightId: 'i1', nodeId: '0', scope: 'node', kind: 'finding', text: 't', evidence: [], distiller: { kind: 'x' } } }, 'insight i1 already exists');
    s.events.pop();
    refuses(s, { type: 'InsightSuperseded', data: { insightId: 'nope', reason: 'r' } }, 'unknown insight nope');
    s.events.pop();
    s.insight('0', 'i2');
    s.add({ type: 'InsightSuperseded', data: { insightId: 'i1', supersededBy: 'i2', reason: 'newer' } });
    expect(fold(s.events).insights.get('i1')).toMatchObject({ id: 'i1', active: false, supersededBy: 'i2', text: 'lesson i1' });
    expect(fold(s.events).insights.get('i2')!.active).toBe(true);
  });

  it('records a distillation that failed after a decision, clearing the pending distillation; refuses one for a node without a decision or an unknown node', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    refuses(s, { type: 'DistillationFailed', data: { nodeId: '1', reason: 'no distiller' } }, 'node 1 has no decision to distill');
    s.events.pop();
    refuses(s, { type: 'DistillationFailed', data: { nodeId: '9', reason: 'no distiller' } }, /9/);
    s.events.pop();
    s.succeed('1', [0.6]);
    s.decide('1', true);
    expect(fold(s.events).awaitingDistillation).toBe('1');
    const failed = s.add({ type: 'DistillationFailed', data: { nodeId: '1', reason: 'no distiller answered' } });
    const tree = fold(s.events);
    expect(tree.awaitingDistillation).toBeUndefined();
    expect(tree.distillationsFailed).toEqual([{ nodeId: '1', reason: 'no distiller answered', eventId: failed.id }]);
    // The tree it was folded onto is left as it was (copy on write).
    const before = fold(s.events.slice(0, -1));
    expect(fold(s.events.slice(-1), before).distillationsFailed).toHaveLength(1);
    expect(before.distillationsFailed).toEqual([]);
    expect(emptyTree('x').distillationsFailed).toEqual([]);
  });

  it('records exhaustion and pruning with their reasons, and refuses either twice', () => {
    const s = started();
    s.propose('1', '0', { a: 1 });
    const exhausted = s.add({ type: 'ExpansionExhausted', data: { nodeId: '1', proposer: 'offline', reason: 'nothing new' } });
    const pruned = s.add({ type: 'NodePruned', data: { nodeId: '1', reason: 'falsified', rule: 'children-falsified', policy } });
    const node = fold(s.events).nodes.get('1')!;
    expect(node.exhausted).toEqual({ proposer: 'offline', reason: 'nothing new', eventId: exhausted.id });
    expect(node.pruned).toEqual({ reason: 'falsified', rule: 'children-falsified', policy, eventId: pruned.id });
    refuses(s, { type: 'ExpansionExhausted', data: { nodeId: '1', proposer: 'offline', reason: 'again' } }, 'node 1 was already exhausted');
    s.events.pop();
    refuses(s, { type: 'NodePruned', data: { nodeId: '1', reason: 'again', rule: 'r', policy } }, 'node 1 was already pruned');
  });
});

describe('the fold: reused evidence (a replay)', () => {
  const source = { searchId: 'src', eventId: 'src-evt-1', nodeId: '4' };
  const paid = { searchId: 'src', eventId: 'src-evt-1' };
  const succeeded = (experimentId: string, nodeId: string) => ({
    type: 'ExperimentSucceeded' as const,
    data: { experimentId, nodeId, executorId: 'x', commit: 'commit-4', ref: 'refs/hypotree/src/4', runs: [{ seed: 1, value: 0.7 }], report, durationMs: 5 },
  });
  function dispatched(): EventScript {
    const s = started();
    s.propose('1', '0', { a: 1 });
    s.dispatch('1');
    return s;
  }

  it('applies a reused outcome as the outcome it repeats, marked with its source, and counts it', () => {
    const s = dispatched();
    s.add({ type: 'ExperimentReused', data: { experimentId: '1#1', nodeId: '1', source, outcome: succeeded('1#1', '1') } });
    const tree = fold(s.events);
    const node = tree.nodes.get('1')!;
    expect(node.status).toBe('evaluated');
    expect(node.result).toMatchObject({ commit: 'commit-4', mean: 0.7, eventId: s.events.at(-1)!.id, reusedFrom: { searchId: 'src', eventId: 'src-evt-1' } });
    expect(tree.reused.experiments).toBe(1);
    // The same outcome recorded directly is not marked reused.
    const direct = dispatched();
    direct.add(succeeded('1#1', '1'));
    expect(fold(direct.events).nodes.get('1')!.result!.reusedFrom).toBeUndefined();
    expect(fold(direct.events).reused.experiments).toBe(0);
  });

  it('refuses a reused outcome under other ids than its own, or one that says nothing about the experiment', () => {
    refuses(dispatched(), { type: 'ExperimentReused', data: { experimentId: '1#1', nodeId: '1', source, outcome: succeeded('4#1', '4') } }, /names 4#1 of node 4, not 1#1 of node 1/);
    const cancelled = { type: 'ExperimentFailed' as const, data: { experimentId: '1#1', nodeId: '1', kind: 'cancelled' as const, detail: 'x' } };
    refuses(dispatched(), { type: 'ExperimentReused', data: { experimentId: '1#1', nodeId: '1', source, outcome: cancelled } }, /never reused/);
    // A reused result is still one result: a second one is refused like any other.
    const s = dispatched();
    s.add({ type: 'ExperimentReused', data: { experimentId: '1#1', nodeId: '1', source, outcome: succeeded('1#1', '1') } });
    refuses(s, succeeded('1#1', '1'), /already has a result/);
  });

  it('counts reused dev runs, repeats and held-out scores, and never changes the counts of a tree folded before', () => {
    const s = new EventScript('s1');
    s.start();
    s.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit: 'c0', runs: [{ seed: 1, value: 0.5 }], reusedFrom: paid } });
    const before = fold(s.events);
    s.propose('1', '0', { a: 1 });
    s.dispatch('1');
    s.add(succeeded('1#1', '1'));
    s.add({ type: 'ExperimentRepeated', data: { nodeId: '1', commit: 'commit-4', runs: [{ seed: 2, value: 0.7 }], reusedFrom: paid } });
    s.add({ type: 'ExperimentRepeated', data: { nodeId: '1', commit: 'commit-4', runs: [{ seed: 3, value: 0.7 }] } });
    s.decide('1', true);
    s.complete('1');
    const held = (nodeId: string, commit: string, reused: boolean) => ({ nodeId, commit, value: 0.6, runs: [{ seed: 1, value: 0.6 }], ...(reused ? { reusedFrom: paid } : {}) });
    s.add({ type: 'FinalTestEvaluated', data: { baseline: held('0', 'c0', true), best: held('1', 'commit-4', false), relativeGain: 0.2, gateEvaluations: 0 } });
    const tree = fold(s.events);
    expect(tree.reused).toEqual({ experiments: 0, gateEvaluations: 0, devEvaluations: 2, modelCalls: 0, modelTokens: 0, testScores: 1 });
    expect(tree.nodes.get('0')!.result!.reusedFrom).toEqual(paid);
    expect(before.reused.devEvaluations).toBe(1);
    // The baseline tested as the best is one score, reused once.
    const alone = new EventScript('s2');
    alone.start();
    alone.baseline([0.5]);
    alone.complete('0');
    alone.add({ type: 'FinalTestEvaluated', data: { baseline: held('0', 'c0', true), best: held('0', 'c0', true), relativeGain: 0, gateEvaluations: 0 } });
    expect(fold(alone.events).reused.testScores).toBe(1);
  });

  it('counts reused gate evaluations against the gate budget, and reused model calls and their tokens apart', () => {
    const s = dispatched();
    s.add(succeeded('1#1', '1'));
    s.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-4', runs: [{ seed: 1, value: 0.7 }], gateEvaluationsUsed: 1, reusedFrom: paid } });
    s.add({ type: 'ModelCalled', data: { nodeId: '1', purpose: 'distill', model: 'm', promptHash: 'p', reply: '{}', usage: usage(30, 10), attempts: 1, reusedFrom: paid } });
    s.add({ type: 'ModelCalled', data: { nodeId: '1', purpose: 'distill', model: 'm', promptHash: 'q', reply: '{}', usage: usage(3, 1), attempts: 1 } });
    const tree = fold(s.events);
    expect(tree.gateEvaluationsUsed).toBe(1);
    expect(tree.nodes.get('1')!.gate!.reusedFrom).toEqual(paid);
    expect(tree.reused).toMatchObject({ gateEvaluations: 1, modelCalls: 1, modelTokens: 40 });
    expect(tree.modelCalls).toBe(2);
    // Model calls carry no tokens of their own into the search's total: the proposals and insights they produced do.
    expect(tree.tokensUsed).toBe(0);
    refuses(s, { type: 'ModelCalled', data: { nodeId: '9', purpose: 'propose', model: 'm', promptHash: 'p', reply: '{}', usage: usage(1, 1), attempts: 1 } }, /unknown node 9/);
  });
});
