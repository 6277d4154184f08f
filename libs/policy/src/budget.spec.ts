import type { SearchEventData } from '@hypotree/events';
import { emptyTree, fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { budgetStatus } from './budget.js';

type Budget = SearchEventData<'SearchStarted'>['budget'];

/** A search started at 00:00:01 (the script's first event) with this budget, its baseline measured. */
function search(budget: Budget): EventScript {
  const s = new EventScript('s1');
  s.start({ budget });
  s.baseline([0.5]);
  return s;
}

const startedAt = Date.parse('2026-01-01T00:00:01Z');
const at = (msAfterStart: number) => new Date(startedAt + msAfterStart);

describe('budget status', () => {
  it('refuses a tree whose search has not started', () => {
    expect(() => budgetStatus(emptyTree(), at(0))).toThrow('budgetStatus: the search has not started');
  });

  it('counts as used only the nodes dispatched at least once: not the baseline, not a proposal still waiting', () => {
    const s = search({ experiments: 5, parallel: 1, gateEvaluations: 2 });
    s.propose('1', '0', { lr: 0.1 });
    s.propose('2', '0', { lr: 0.2 });
    s.propose('3', '0', { lr: 0.3 });
    expect(budgetStatus(fold(s.events), at(0))).toMatchObject({ experimentsUsed: 0, experimentsLeft: 5 });
    s.dispatch('1');
    s.failExperiment('2', 'lease-expired');
    const status = budgetStatus(fold(s.events), at(0));
    // Node 1 is in flight, node 2 went back to the frontier after its lease expired: both spent an experiment.
    expect(status).toMatchObject({ experimentsUsed: 2, experimentsLeft: 3 });
    expect(status.exhausted).toBeUndefined();
  });

  it('counts a node re-dispatched after an expired lease once', () => {
    const s = search({ experiments: 5, parallel: 1, gateEvaluations: 2 });
    s.propose('1', '0', { lr: 0.1 });
    s.failExperiment('1', 'lease-expired', 1);
    s.succeed('1', [0.6], 2);
    expect(budgetStatus(fold(s.events), at(0))).toMatchObject({ experimentsUsed: 1, experimentsLeft: 4 });
  });

  it('leaves the gate evaluations the budget has minus those used, never fewer than none', () => {
    const s = search({ experiments: 5, parallel: 1, gateEvaluations: 3 });
    s.gate('0', 0.5);
    expect(budgetStatus(fold(s.events), at(0)).gateEvaluationsLeft).toBe(2);
    const over = search({ experiments: 5, parallel: 1, gateEvaluations: 1 });
    over.gate('0', 0.5);
    over.propose('1', '0', { lr: 0.1 });
    over.succeed('1', [0.6]);
    over.gate('1', 0.6);
    const status = budgetStatus(fold(over.events), at(0));
    expect(status.gateEvaluationsLeft).toBe(0);
    // A spent gate budget is not one of the budgets that end a search.
    expect(status.exhausted).toBeUndefined();
  });

  it('has no token or wall-clock limit when the budget sets none', () => {
    const status = budgetStatus(fold(search({ experiments: 5, parallel: 1, gateEvaluations: 2 }).events), at(10 ** 12));
    expect(status.tokensLeft).toBe(Infinity);
    expect(status.wallClockLeftMs).toBe(Infinity);
    expect(status.exhausted).toBeUndefined();
  });

  it('counts the wall clock from the start of the search, and is exhausted when it runs out', () => {
    const tree = fold(search({ experiments: 5, parallel: 1, gateEvaluations: 2, wallClockMs: 60_000 }).events);
    expect(budgetStatus(tree, at(15_000)).wallClockLeftMs).toBe(45_000);
    expect(budgetStatus(tree, at(15_000)).exhausted).toBeUndefined();
    expect(budgetStatus(tree, at(60_000))).toMatchObject({ wallClockLeftMs: 0, exhausted: 'wall-clock' });
    expect(budgetStatus(tree, at(90_000))).toMatchObject({ wallClockLeftMs: 0, exhausted: 'wall-clock' });
  });

  it('leaves the token budget minus the tokens spent by proposers and distillers, and is exhausted at zero', () => {
    const s = search({ experiments: 5, parallel: 1, gateEvaluations: 2, tokens: 1000 });
    s.add({
      type: 'HypothesisProposed',
      data: {
        nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { lr: 0.1 } },
        proposer: { kind: 'llm', usage: { promptTokens: 300, completionTokens: 100 } }, insightsConsidered: [],
      },
    });
    expect(budgetStatus(fold(s.events), at(0))).toMatchObject({ tokensLeft: 600 });
    expect(budgetStatus(fold(s.events), at(0)).exhausted).toBeUndefined();
    s.add({
      type: 'InsightDistilled',
      data: { insightId: 'i1', nodeId: '0', scope: 'node', kind: 'finding', text: 'x', evidence: [], distiller: { kind: 'llm', usage: { promptTokens: 500, completionTokens: 200 } } },
    });
    expect(budgetStatus(fold(s.events), at(0))).toMatchObject({ tokensLeft: 0, exhausted: 'tokens' });
  });

  it('names the experiments budget first, then the wall clock, then tokens, when several are spent', () => {
    const s = search({ experiments: 1, parallel: 1, gateEvaluations: 2, wallClockMs: 1000, tokens: 10 });
    s.add({
      type: 'HypothesisProposed',
      data: {
        nodeId: '1', parentId: '0', title: 't', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { lr: 0.1 } },
        proposer: { kind: 'llm', usage: { promptTokens: 10, completionTokens: 0 } }, insightsConsidered: [],
      },
    });
    const proposed = fold(s.events);
    expect(budgetStatus(proposed, at(0)).exhausted).toBe('tokens');
    expect(budgetStatus(proposed, at(1000)).exhausted).toBe('wall-clock');
    s.dispatch('1');
    expect(budgetStatus(fold(s.events), at(1000)).exhausted).toBe('experiments');
  });
});
