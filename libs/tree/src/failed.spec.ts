import type { SearchEvent, SearchEventData } from '@hypotree/events';
import { evolve, fold } from './evolve.js';
import { searchStatus } from './queries.js';
import { EventScript } from './testing/index.js';

// A search that cannot go on (its baseline's evaluation failed, or the held-out test did) ends with
// SearchFailed: the tree records why, nothing follows it, and it is never reported as open.

const failure = (over: Partial<SearchEventData<'SearchFailed'>> = {}): SearchEvent => ({
  type: 'SearchFailed',
  data: { reason: "the baseline's gate evaluation failed (crash): scorer exited with 1", evaluator: 'gate', kind: 'crash', outputTail: 'Error: Cannot find module', nodeId: '0', commit: 'c0', ...over },
});

function refuses(s: EventScript, event: SearchEvent, message: string | RegExp): void {
  const before = fold(s.events);
  expect(() => evolve(before, s.add(event))).toThrow(message);
}

describe('the fold: a failed search', () => {
  it('records a failed baseline measurement: the search is failed, with its reason, evaluator and output, and has no baseline', () => {
    const s = new EventScript('s1');
    s.start();
    s.add(failure({ evaluator: 'dev', reason: "the baseline's dev evaluation failed (no-metric)", kind: 'no-metric' }));
    const tree = fold(s.events);
    expect(tree.failed).toMatchObject({ evaluator: 'dev', kind: 'no-metric', outputTail: 'Error: Cannot find module', nodeId: '0' });
    expect(tree.nodes.get('0')!.result).toBeUndefined();
    expect(searchStatus(tree)).toBe('failed');
  });

  it('records a failed gate of the baseline after its GateFailed', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5]);
    s.add({ type: 'GateFailed', data: { nodeId: '0', commit: 'c0', kind: 'crash', detail: 'exited with 1', gateEvaluationsUsed: 1 } });
    s.add(failure());
    const tree = fold(s.events);
    expect(tree.failed?.evaluator).toBe('gate');
    expect(tree.gateEvaluationsUsed).toBe(1);
    expect(searchStatus(tree)).toBe('failed');
  });

  it('refuses every event after SearchFailed, a second SearchFailed included, naming the reason', () => {
    const s = new EventScript('s1');
    s.start();
    s.add(failure({ evaluator: 'dev' }));
    refuses(s, { type: 'BaselineMeasured', data: { nodeId: '0', commit: 'c0', runs: [{ seed: 1, value: 0.5 }] } }, /the search failed \(the baseline's gate evaluation failed .*\): nothing follows SearchFailed/);
    s.events.pop();
    refuses(s, failure(), /nothing follows SearchFailed/);
  });

  it('accepts a failed held-out test after completion, but no other failure then, and none after the test', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5]);
    s.complete('0');
    refuses(s, failure({ evaluator: 'gate' }), 'a gate evaluation cannot fail after SearchCompleted; only the held-out test runs then');
    s.events.pop();
    s.add(failure({ evaluator: 'test', reason: 'the held-out test of the baseline failed (timeout)', kind: 'timeout' }));
    expect(searchStatus(fold(s.events))).toBe('failed');

    const tested = new EventScript('s1');
    tested.start();
    tested.baseline([0.5]);
    tested.complete('0');
    tested.add({ type: 'FinalTestEvaluated', data: { baseline: { nodeId: '0', commit: 'c0', value: 0.5 }, best: { nodeId: '0', commit: 'c0', value: 0.5 }, relativeGain: 0, gateEvaluations: 0 } });
    refuses(tested, failure({ evaluator: 'test' }), 'the held-out test was already computed');
  });

  it('refuses a failure on a node the tree does not hold, and before the search started', () => {
    const s = new EventScript('s1');
    s.start();
    refuses(s, failure({ nodeId: '4' }), 'unknown node 4');
    expect(() => fold([new EventScript('s2').add(failure())])).toThrow('the search has not started');
  });

  it('null case: searches that did not fail are open, completed or done, and never failed', () => {
    const s = new EventScript('s1');
    s.start();
    expect(searchStatus(fold(s.events))).toBe('open');
    s.baseline([0.5]);
    s.add({ type: 'GateFailed', data: { nodeId: '0', commit: 'c0', kind: 'crash', detail: 'exited with 1', gateEvaluationsUsed: 1 } });
    expect(fold(s.events).failed).toBeUndefined(); // the fold records; deciding that the search failed is the decider's
    s.complete('0');
    expect(searchStatus(fold(s.events))).toBe('completed');
    s.add({ type: 'FinalTestEvaluated', data: { baseline: { nodeId: '0', commit: 'c0', value: 0.5 }, best: { nodeId: '0', commit: 'c0', value: 0.5 }, relativeGain: 0, gateEvaluations: 1 } });
    expect(searchStatus(fold(s.events))).toBe('done');
  });
});
