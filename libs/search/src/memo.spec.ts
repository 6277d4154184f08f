import type { RecordedSearchEvent } from '@hypotree/events';
import type { Parameter } from '@hypotree/task';
import { fold } from '@hypotree/tree';
import { EventScript, scriptAdmission } from '@hypotree/tree/testing';
import { decisionSequence, searchCost } from './compare.js';
import { FamilyMemo, type MemoTask } from './memo.js';
import { syntheticSearch, valley } from './testing/index.js';

// The memo of a search family: what a replay may take instead of paying again. Specified on its own:
// an experiment is found by the artifact it produces, evaluations by commit and seeds, replies by
// model and prompt hash; every entry points at the event that paid; evidence under another spec or
// evaluator, and outcomes that say nothing about the experiment, are never reused.

const space: Parameter[] = [
  { name: 'a', type: 'float', min: 0, max: 1, default: 0.5 },
  { name: 'b', type: 'float', min: 0, max: 1, default: 0.5 },
] as Parameter[];
const task: MemoTask = { specHash: 'h', evaluatorHash: 'e', space, implementer: 'params' };
const same = { sandbox: 'allowlist' as const, specHash: 'h', evaluatorHash: 'e' };

/** A recorded search: baseline, `1` (a=0.9) admitted and gated, `1.1` (b=0.1) under it; its admission policy takes second gate looks of `gateExtend` runs. */
function recorded(id = 's', gateExtend = 0) {
  const s = new EventScript(id);
  s.start({ policies: { admission: scriptAdmission({ gateExtend }) } });
  s.baseline([0.5, 0.5, 0.5, 0.5]);
  s.propose('1', '0', { a: 0.9 });
  s.succeed('1', [0.7, 0.7], 1, same);
  s.gate('1', 0.69, same);
  s.decide('1', true);
  s.propose('1.1', '1', { b: 0.1 });
  s.succeed('1.1', [0.6, 0.6], 1, same);
  return s;
}

/** A replay's tree holding one proposed node with this config under the root or under `1`. */
function replayTree(nodeParent: '0' | '1', set: Record<string, number>) {
  const s = new EventScript('r');
  s.start();
  s.baseline([0.5]);
  if (nodeParent === '1') {
    s.propose('1', '0', { a: 0.9 });
    s.succeed('1', [0.7]);
    s.decide('1', true);
    s.propose('1.1', '1', set);
    return { tree: fold(s.events), nodeId: '1.1' };
  }
  s.propose('1', '0', set);
  return { tree: fold(s.events), nodeId: '1' };
}

describe('FamilyMemo', () => {
  it('finds an experiment by the configuration it produces, wherever the node sits, and points at the event that paid', () => {
    const s = recorded();
    const memo = new FamilyMemo([{ searchId: 's', history: s.events }], task);
    // The same configuration (a=0.9, b=0.1) reached in one step from the root is the same artifact.
    const { tree, nodeId } = replayTree('0', { a: 0.9, b: 0.1 });
    const found = memo.experiment(tree, nodeId, 'c0');
    expect(found?.source).toEqual({ searchId: 's', eventId: s.events.find((e) => e.type === 'ExperimentSucceeded' && e.data.nodeId === '1.1')!.id, nodeId: '1.1' });
    expect(found?.outcome.type).toBe('ExperimentSucceeded');
    // Another configuration is not found.
    const other = replayTree('0', { a: 0.9, b: 0.2 });
    expect(memo.experiment(other.tree, other.nodeId, 'c0')).toBeUndefined();
  });

  it('reuses nothing measured under another spec or evaluator (the task changed since)', () => {
    const s = new EventScript('s');
    s.start();
    s.baseline([0.5]);
    s.propose('1', '0', { a: 0.9 });
    s.succeed('1', [0.7], 1, { ...same, evaluatorHash: 'another' });
    s.gate('1', 0.7, { ...same, specHash: 'another' });
    const memo = new FamilyMemo([{ searchId: 's', history: s.events }], task);
    const { tree, nodeId } = replayTree('0', { a: 0.9 });
    expect(memo.experiment(tree, nodeId, 'c0')).toBeUndefined();
    expect(memo.gate('commit-1', 1)).toBeUndefined();
    expect(memo.devRuns('commit-1', [0])).toBeUndefined();
  });

  it('never reuses an outcome that says nothing about the experiment (lease expired, cancelled), and does reuse a real failure', () => {
    const s = new EventScript('s');
    s.start();
    s.baseline([0.5]);
    s.propose('1', '0', { a: 0.9 });
    s.failExperiment('1', 'lease-expired');
    s.propose('2', '0', { a: 0.1 });
    s.failExperiment('2', 'cancelled');
    s.propose('3', '0', { a: 0.3 });
    s.failExperiment('3', 'crash');
    const memo = new FamilyMemo([{ searchId: 's', history: s.events }], task);
    const at = (a: number) => {
      const { tree, nodeId } = replayTree('0', { a });
      return memo.experiment(tree, nodeId, 'c0');
    };
    expect(at(0.9)).toBeUndefined();
    expect(at(0.1)).toBeUndefined();
    expect(at(0.3)?.outcome).toMatchObject({ type: 'ExperimentFailed', data: { kind: 'crash' } });
  });

  it('keys free-form changes, and every change of a code-writing implementer, by the exact base commit and change', () => {
    const s = recorded();
    const memo = new FamilyMemo([{ searchId: 's', history: s.events }], { ...task, implementer: 'agent' });
    const { tree, nodeId } = replayTree('0', { a: 0.9 });
    expect(memo.experiment(tree, nodeId, 'c0')).toBeDefined(); // same change {a: 0.9} on the same base commit
    const deeper = replayTree('1', { a: 0.9, b: 0.1 });
    expect(memo.experiment(deeper.tree, deeper.nodeId, 'c0')).toBeUndefined(); // another change text: an agent may write other code
  });

  it('gives dev, gate and test runs only for exactly the seeds asked, all from one evaluation', () => {
    const s = recorded();
    const memo = new FamilyMemo([{ searchId: 's', history: s.events }], task);
    expect(memo.devRuns('c0', [0, 1, 2, 3])?.runs.map((r) => r.seed)).toEqual([0, 1, 2, 3]);
    expect(memo.devRuns('c0', [1, 2])?.runs.map((r) => r.seed)).toEqual([1, 2]);
    expect(memo.devRuns('c0', [3, 4])).toBeUndefined();
    expect(memo.gate('commit-1', 1)).toMatchObject({ ok: true, runs: [{ seed: 0, value: 0.69 }] });
    expect(memo.gate('commit-1', 3)).toBeUndefined(); // another number of seeds is another evaluation
    expect(memo.testRuns('c0', 2)).toBeUndefined(); // no test recorded
  });

  it('keeps a node\'s two gate looks apart: a second look by its first seed, and a failed second look answers nothing', () => {
    const s = recorded('s', 2);
    s.propose('2', '0', { a: 0.5 });
    s.succeed('2', [0.65, 0.65], 1, same);
    const next = () => fold(s.events).gateEvaluationsUsed + 1;
    const gate = (nodeId: string) => s.add({ type: 'GateEvaluated', data: { nodeId, commit: `commit-${nodeId}`, runs: [{ seed: 0, value: 0.66 }], gateEvaluationsUsed: next(), integrity: same } });
    const first = gate('2');
    const look = [5, 6].map((seed) => ({ seed, value: 0.67 }));
    s.add({ type: 'GateEvaluated', data: { nodeId: '2', commit: 'commit-2', runs: look, gateEvaluationsUsed: next(), integrity: same, extendsGate: first.id } });
    s.propose('3', '0', { a: 0.4 });
    s.succeed('3', [0.65, 0.65], 1, same);
    const third = gate('3');
    s.add({ type: 'GateFailed', data: { nodeId: '3', commit: 'commit-3', kind: 'timeout', detail: 'slow', gateEvaluationsUsed: next(), integrity: same, extendsGate: third.id } });
    const memo = new FamilyMemo([{ searchId: 's', history: s.events }], task);
    expect(memo.gate('commit-2', 1)).toMatchObject({ ok: true, runs: [{ seed: 0, value: 0.66 }] });
    expect(memo.gate('commit-2', 2, 5)).toMatchObject({ ok: true, runs: look });
    expect(memo.gate('commit-2', 2)).toBeUndefined(); // a first look of 2 seeds was never run
    expect(memo.gate('commit-2', 2, 6)).toBeUndefined(); // a second look from another seed is other runs
    // commit-3's second look failed: it answers neither another first look nor another second look.
    expect(memo.gate('commit-3', 1)).toMatchObject({ ok: true });
    expect(memo.gate('commit-3', 8)).toBeUndefined();
    expect(memo.gate('commit-3', 8, 2)).toBeUndefined();
  });

  it('counts what a branch shares with its parent once, and points a reuse of a reuse at the original', () => {
    const s = recorded();
    const replay = new EventScript('r');
    replay.add({ type: 'SearchBranched', data: { searchId: 'r', parent: { searchId: 's', revision: 0 }, reason: 'replay', replay: { of: 's' } } });
    const original = s.events.find((e) => e.type === 'GateEvaluated')!;
    replay.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit: 'c0', runs: [{ seed: 9, value: 0.5 }], reusedFrom: { searchId: 's', eventId: 'paid-here' } } });
    const alone = new FamilyMemo([{ searchId: 's', history: s.events }], task).size;
    const memo = new FamilyMemo(
      [
        { searchId: 's', history: s.events },
        // A branch at the parent's last event holds all of the parent's events in its history.
        { searchId: 'b', history: s.events },
        { searchId: 'r', history: [s.events[0]!, ...replay.events] },
      ],
      task,
    );
    expect(memo.size).toEqual({ ...alone, devEvaluations: alone.devEvaluations + 1 });
    expect(memo.gate('commit-1', 1)?.source).toEqual({ searchId: 's', eventId: original.id });
    expect(memo.devRuns('c0', [9])?.source).toEqual({ searchId: 's', eventId: 'paid-here' });
  });

  it('answers a model call only for the same purpose, model and prompt hash', () => {
    const s = recorded();
    const usage = { promptTokens: 10, completionTokens: 5 };
    s.add({ type: 'ModelCalled', data: { nodeId: '0', purpose: 'propose', model: 'm', promptHash: 'p1', reply: '{"x":1}', usage, attempts: 1 } });
    const memo = new FamilyMemo([{ searchId: 's', history: s.events }], task);
    expect(memo.reply('propose', 'm', 'p1')).toMatchObject({ reply: '{"x":1}', usage, source: { searchId: 's' } });
    expect(memo.reply('distill', 'm', 'p1')).toBeUndefined();
    expect(memo.reply('propose', 'other-model', 'p1')).toBeUndefined();
    expect(memo.reply('propose', 'm', 'p2')).toBeUndefined();
  });
});

describe('a synthetic search replayed from its memo', () => {
  const memoOf = (history: RecordedSearchEvent[], taskSpace: readonly Parameter[], searchId: string) =>
    new FamilyMemo([{ searchId, history }], { specHash: 'synthetic', evaluatorHash: 'synthetic', space: taskSpace, implementer: 'params' });

  it('reproduces every decision under the recorded policies, with every experiment, gate call and test score reused', async () => {
    const original = await syntheticSearch(valley, { seed: 3, budget: 30, parallel: 2 });
    const memo = memoOf(original.history, valley.space, original.tree.searchId);
    const replayed = await syntheticSearch(valley, { seed: 3, budget: 30, parallel: 2, memo, searchId: 'replay' });
    const space = valley.space;
    expect(decisionSequence(replayed.history, space, replayed.tree)).toEqual(decisionSequence(original.history, space, original.tree));
    const cost = searchCost(replayed.tree);
    expect(cost.experimentsReused).toBe(cost.experiments);
    expect(cost.gateEvaluationsReused).toBe(cost.gateEvaluations);
    expect(cost.testScoresReused).toBe(cost.testScores);
    expect(replayed.bestNodeId).toBe(original.bestNodeId);
  });

  it('under another selection policy reuses what it can, measures the rest, and is still a whole search', async () => {
    const original = await syntheticSearch(valley, { seed: 3, budget: 30, parallel: 2 });
    const memo = memoOf(original.history, valley.space, original.tree.searchId);
    const greedy = await syntheticSearch(valley, { seed: 3, budget: 30, parallel: 2, memo, searchId: 'greedy', policies: { selection: { strategy: 'greedy', exploration: 0 } } });
    const cost = searchCost(greedy.tree);
    expect(cost.experiments).toBe(30);
    expect(cost.experimentsReused).toBeGreaterThan(0); // the initial design is the same
    expect(cost.experimentsReused).toBeLessThan(30);
    expect(greedy.tree.finalTest).toBeDefined();
  });
});
