import { EventScript } from '@hypotree/tree/testing';
import { fold } from '@hypotree/tree';
import type { ExecutorReport } from './model.js';
import { nextInDispatchOrder } from './order.js';

type ResultReport = Extract<ExecutorReport, { kind: 'result' }>;

// A result report as an executor sends it (only the routing fields matter here).
function result(experimentId: string, nodeId: string): ResultReport {
  return { kind: 'result', message: { searchId: 's1', experimentId, nodeId, executorId: 'x', evidence: {} as ResultReport['message']['evidence'] } };
}

/** The outcome of an experiment already dispatched (EventScript's succeed/failExperiment dispatch on their own). */
function outcome(s: EventScript, nodeId: string, kind: 'succeeded' | 'crash' | 'lease-expired', attempt = 1): void {
  const experimentId = `${nodeId}#${attempt}`;
  if (kind !== 'succeeded') {
    s.add({ type: 'ExperimentFailed', data: { experimentId, nodeId, kind, detail: kind } });
    return;
  }
  s.add({
    type: 'ExperimentSucceeded',
    data: { experimentId, nodeId, executorId: 'x', commit: `c-${nodeId}`, ref: `refs/hypotree/s1/${nodeId}`, runs: [{ seed: 1, value: 0.7 }], report: { summary: 's', filesChanged: [], insertions: 0, deletions: 0 }, durationMs: 1 },
  });
}

/** Nodes 1, 2 and 3 dispatched in that order, all in flight. */
function threeInFlight(): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.6, 0.6]);
  for (const id of ['1', '2', '3']) s.propose(id, '0', { lr: Number(id) / 10 });
  for (const id of ['1', '2', '3']) s.dispatch(id);
  return s;
}

describe('results are decided in dispatch order', () => {
  it('holds a result back while a node dispatched before it is still in flight', () => {
    const tree = fold(threeInFlight().events);
    expect(nextInDispatchOrder(tree, [result('2#1', '2'), result('3#1', '3')])).toBeUndefined();
  });

  it('releases the oldest dispatch first once its result is in, whatever order they arrived in', () => {
    const tree = fold(threeInFlight().events);
    const held = [result('3#1', '3'), result('2#1', '2'), result('1#1', '1')];
    expect(nextInDispatchOrder(tree, held)?.message.experimentId).toBe('1#1');
  });

  it('releases a later result once every earlier dispatch has its outcome', () => {
    const s = threeInFlight();
    outcome(s, '1', 'succeeded');
    outcome(s, '2', 'crash');
    expect(nextInDispatchOrder(fold(s.events), [result('3#1', '3')])?.message.experimentId).toBe('3#1');
  });

  it('passes a result for an experiment that is not in flight straight through (the decider ignores it with a warning)', () => {
    const s = threeInFlight();
    outcome(s, '1', 'succeeded');
    const late = result('1#1', '1');
    expect(nextInDispatchOrder(fold(s.events), [result('3#1', '3'), late])).toBe(late);
    expect(nextInDispatchOrder(fold(s.events), [result('9#1', '9')])?.message.experimentId).toBe('9#1');
  });

  it('orders a re-dispatched node by its first dispatch', () => {
    const s = threeInFlight();
    outcome(s, '1', 'lease-expired');
    s.dispatch('1', 2); // node 1 goes out again, after 2 and 3
    const tree = fold(s.events);
    expect(nextInDispatchOrder(tree, [result('2#1', '2')])).toBeUndefined();
    expect(nextInDispatchOrder(tree, [result('2#1', '2'), result('1#2', '1')])?.message.experimentId).toBe('1#2');
  });
});
