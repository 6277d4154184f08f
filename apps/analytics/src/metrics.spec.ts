import { EventScript } from '@hypotree/tree/testing';
import type { RecordedSearchEvent } from '@hypotree/events';
import { evolve, markError, type SearchMetrics, type SearchProjection } from './metrics.js';

// Specifications: given the events of a search, then its metrics.
function given(events: RecordedSearchEvent[], others: Record<string, SearchMetrics> = {}): SearchMetrics {
  let state: SearchProjection | undefined;
  for (const event of events) state = evolve(state, event, (id) => others[id]);
  return state!.metrics;
}

function aSearch(id = 's1'): EventScript {
  const script = new EventScript(id);
  script.start();
  script.baseline([0.5, 0.5]);
  return script;
}

describe('search metrics projection', () => {
  it('counts experiments, decisions and gate calls, and tracks the best admitted node', () => {
    const s = aSearch();
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [0.7, 0.7]);
    s.gate('1', 0.69);
    s.decide('1', true);
    s.propose('2', '0', { lr: 0.5 });
    s.succeed('2', [0.9, 0.9]);
    s.gate('2', 0.5);
    s.decide('2', false);
    s.propose('3', '0', { lr: 0.9 });
    s.failExperiment('3', 'timeout');
    expect(given(s.events)).toMatchObject({
      searchId: 's1',
      task: 'demo',
      status: 'started',
      revision: s.events.length - 1,
      experiments: 3,
      failures: { timeout: 1 },
      admitted: 1,
      rejected: 1,
      gateEvaluations: 2,
      best: { nodeId: '1', dev: 0.7 },
    });
  });

  it('starts with the baseline as the best node', () => {
    expect(given(aSearch().events).best).toEqual({ nodeId: '0', dev: 0.5 });
  });

  it('orients dev scores of a minimised metric so that larger is better', () => {
    const s = new EventScript('min');
    s.start({ task: { name: 'loss', specPath: 'p', specHash: 'h', repo: '/r', baseCommit: 'c0', objective: { metric: 'loss', direction: 'minimize' } } });
    s.baseline([2]);
    s.propose('1', '0', { lr: 0.1 });
    s.succeed('1', [1]);
    s.decide('1', true);
    expect(given(s.events).best).toEqual({ nodeId: '1', dev: -1 });
  });

  it('counts an expired lease as a failure kind but not as an experiment', () => {
    const s = aSearch();
    s.propose('1', '0', { lr: 0.1 });
    s.failExperiment('1', 'lease-expired');
    s.succeed('1', [0.6], 2);
    expect(given(s.events)).toMatchObject({ experiments: 1, failures: { 'lease-expired': 1 } });
  });

  it('counts insights and the tokens of proposer, implementer and distiller', () => {
    const s = aSearch();
    s.add({ type: 'HypothesisProposed', data: { nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { lr: 1 } }, proposer: { kind: 'llm', usage: { promptTokens: 10, completionTokens: 5 } }, insightsConsidered: [] } });
    s.add({ type: 'InsightDistilled', data: { insightId: 'i1', nodeId: '0', scope: 'global', kind: 'finding', text: 'x', evidence: [], distiller: { kind: 'llm', usage: { promptTokens: 3, completionTokens: 2 } } } });
    expect(given(s.events)).toMatchObject({ insights: 1, tokens: 20 });
  });

  it('reports completion, then the held-out relative gain once tested', () => {
    const s = aSearch();
    s.add({ type: 'SearchCompleted', data: { reason: 'budget', bestNodeId: '0' } });
    expect(given(s.events)).toMatchObject({ status: 'completed', stopReason: 'budget' });
    s.add({ type: 'FinalTestEvaluated', data: { baseline: { nodeId: '0', commit: 'c0', value: 0.5 }, best: { nodeId: '0', commit: 'c0', value: 0.5 }, relativeGain: 0, gateEvaluations: 0 } });
    expect(given(s.events)).toMatchObject({ status: 'tested', relativeGain: 0 });
  });

  it("counts a branch's own events, with its parent's task and direction", () => {
    const parent = given(aSearch('p').events);
    const b = new EventScript('b');
    b.add({ type: 'SearchBranched', data: { searchId: 'b', parent: { searchId: 'p', revision: 1 }, reason: 'stricter' } });
    b.add({ type: 'HypothesisProposed', data: { nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { lr: 1 } }, proposer: { kind: 'x' }, insightsConsidered: [] } });
    b.succeed('1', [0.8]);
    b.decide('1', true);
    expect(given(b.events, { p: parent })).toMatchObject({
      searchId: 'b',
      task: 'demo',
      direction: 'maximize',
      branchedFrom: { searchId: 'p', revision: 1 },
      experiments: 1,
      admitted: 1,
      best: { nodeId: '1', dev: 0.8 },
    });
  });

  it('keeps the first unreadable event as the error and goes on counting', () => {
    const s = aSearch();
    let state: SearchProjection | undefined;
    for (const e of s.events) state = evolve(state, e);
    state = markError(state, 's1', 2, 'search-s1@2: bad');
    state = markError(state, 's1', 3, 'search-s1@3: worse');
    s.add({ type: 'HypothesisProposed', data: { nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { lr: 1 } }, proposer: { kind: 'x' }, insightsConsidered: [] } });
    s.add({ type: 'ExperimentDispatched', data: { experimentId: 'e', nodeId: '1', baseCommit: 'c0', attempt: 1, leaseMs: 1 } });
    s.add({ type: 'ExperimentFailed', data: { experimentId: 'e', nodeId: '1', kind: 'crash', detail: 'x' } });
    state = evolve(state, s.events.at(-1)!);
    expect(state.metrics).toMatchObject({ error: 'search-s1@2: bad', failures: { crash: 1 }, revision: s.events.length - 1 });
  });
});
