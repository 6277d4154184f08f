import { LlmReplyError, OfflineProposer, type Proposer } from '@hypotree/research';
import { fold, searchStatus } from '@hypotree/tree';
import { SealedEvaluationError } from '@hypotree/workspace';
import { SearchFailedError } from './errors.js';
import { DevEvaluationError, type CoordinatorEvaluators } from './evaluators.js';
import { closeHarnesses, harness } from './search-run.fixture.js';

// The coordinator loop when something it cannot do without fails: the search ends with SearchFailed
// and the run says why (SearchFailedError), never with a normal-looking summary; a failed search
// stays failed on resume. One invalid model reply costs a warning, not the search. A stopped run
// records nothing after the stop.

const dev = async (_commit: string, seeds: number[]) => ({ runs: seeds.map((seed) => ({ seed, value: 0.5 + seed * 0.001 })), sandbox: 'none' as const });
const sealed = async () => ({ runs: [{ seed: 1, value: 0.49 }], sandbox: 'none' as const });
const brokenGate = () => new SealedEvaluationError('gate', 'base', 'crash', 'gate evaluation (seed 1): the scorer exited with code 1', '', "Error: Cannot find module '/task/evaluators/nope.mjs'\nNode.js v20.19.0", 'none', 'e');

describe('the coordinator loop when the search cannot go on', () => {
  afterEach(closeHarnesses);

  it('ends the search with SearchFailed when the baseline’s dev evaluation fails, and says why', async () => {
    const h = harness(4);
    const evaluators: CoordinatorEvaluators = {
      sandbox: 'none',
      dev: async (commit) => {
        throw new DevEvaluationError(commit, 'no-metric', 'dev evaluation (seed 1): the scorer exited without reporting a metric', '--- stdout ---\nhello from the scorer', 'none', 'e');
      },
      sealed,
    };
    const run = await h.run({ evaluators });
    const error = await run.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchFailedError);
    expect((error as Error).message).toBe("search s1 failed: the baseline's dev evaluation failed (no-metric) on seed 1: the scorer exited without reporting a metric — it printed: hello from the scorer");
    const events = await h.log.ownEvents('s1');
    expect(events.map((e) => e.type)).toEqual(['SearchStarted', 'SearchFailed']);
    expect(events[1]!.data).toMatchObject({ evaluator: 'dev', kind: 'no-metric', nodeId: '0', commit: 'base', outputTail: '--- stdout ---\nhello from the scorer' });
    expect(h.dispatched).toEqual([]);
    await h.close();
  });

  it('ends the search after the baseline’s failed gate call, before any proposal, and a resume says it failed', async () => {
    const h = harness(4);
    const proposer: Proposer = { kind: 'offline', propose: async () => { throw new Error('no proposal may be asked for'); } };
    const evaluators: CoordinatorEvaluators = { sandbox: 'none', dev, sealed: async () => { throw brokenGate(); } };
    const error = await (await h.run({ evaluators, proposer })).run().catch((e: unknown) => e);
    // One line: what failed, how, and the line of its output that says why (not the runtime's version banner after it).
    expect((error as Error).message).toBe("search s1 failed: the baseline's gate evaluation failed (crash) on seed 1: the scorer exited with code 1 — it printed: Error: Cannot find module '/task/evaluators/nope.mjs'");
    const events = await h.log.ownEvents('s1');
    expect(events.map((e) => e.type)).toEqual(['SearchStarted', 'BaselineMeasured', 'GateFailed', 'SearchFailed']);
    expect(searchStatus(fold(events))).toBe('failed');

    // A resume changes nothing and says the same.
    const again = await (await h.run({ evaluators: { sandbox: 'none', dev, sealed } })).run().catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SearchFailedError);
    expect((again as SearchFailedError).failure.evaluator).toBe('gate');
    expect(await h.log.ownEvents('s1')).toHaveLength(events.length);
    await h.close();
  });

  it('ends a completed search with SearchFailed when its held-out test fails', async () => {
    const h = harness(2);
    const evaluators: CoordinatorEvaluators = {
      sandbox: 'none',
      dev,
      sealed: async (commit, which) => {
        if (which === 'test') throw new SealedEvaluationError('test', commit, 'timeout', 'test evaluation (seed 1): the evaluation exceeded its 30s wall-clock limit', '', '', 'none', 'e');
        return { runs: [{ seed: 1, value: 0.49 }], sandbox: 'none' };
      },
    };
    const error = await (await h.run({ evaluators })).run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchFailedError);
    const types = (await h.log.ownEvents('s1')).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['SearchCompleted', 'SearchFailed']);
    expect((error as SearchFailedError).failure).toMatchObject({ evaluator: 'test', kind: 'timeout' });
    await h.close();
  });

  it('null case: a baseline that scores on dev and on the gate runs the search to its summary', async () => {
    const h = harness(2);
    const summary = await (await h.run({ evaluators: { sandbox: 'none', dev, sealed } })).run();
    expect(summary.experiments).toBe(2);
    expect((await h.log.ownEvents('s1')).some((e) => e.type === 'SearchFailed')).toBe(false);
    await h.close();
  });
});

describe('the coordinator loop and a proposer without a valid reply', () => {
  afterEach(closeHarnesses);

  const flaky = (failures: number[]): Proposer & { calls: number } => {
    const offline = new OfflineProposer();
    const proposer = {
      kind: 'llm',
      calls: 0,
      async propose(request: Parameters<Proposer['propose']>[0]) {
        proposer.calls += 1;
        if (failures.includes(proposer.calls)) throw new LlmReplyError('llm proposer', 'scripted', ['the reply is not JSON', 'the reply is not JSON']);
        return offline.propose(request);
      },
    };
    return proposer;
  };

  it('warns and goes on after one invalid reply: the search spends its whole budget', async () => {
    const h = harness(3);
    const warnings: string[] = [];
    const proposer = flaky([1]);
    const summary = await (await h.run({ proposer, logger: { log: () => undefined, warn: (m) => warnings.push(m) } })).run();
    expect(summary.experiments).toBe(3);
    expect(warnings.filter((w) => w.includes('gave no valid reply'))).toEqual([
      expect.stringMatching(/^llm proposer: model scripted gave no valid reply after 2 attempts .* The search goes on \(1 such reply in a row; it stops at 3\)\.$/),
    ]);
    await h.close();
  });

  it('stops the run (the search stays open) after three invalid replies in a row', async () => {
    const h = harness(3);
    const error = await (await h.run({ proposer: flaky([1, 2, 3]), logger: { log: () => undefined, warn: () => undefined } })).run().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^the llm proposer gave no valid reply 3 times in a row; the last: llm proposer: model scripted gave no valid reply/);
    expect(searchStatus(fold(await h.log.ownEvents('s1')))).toBe('open');
    await h.close();
  });
});

describe('the coordinator loop when it is stopped', () => {
  afterEach(closeHarnesses);

  it('records nothing once stopped: an evaluation killed by the stop is not taken for a failed baseline', async () => {
    const h = harness(3);
    const controller = new AbortController();
    const evaluators: CoordinatorEvaluators = {
      sandbox: 'none',
      dev: async (commit) => {
        // The stop kills the evaluation's processes: it comes back without a score.
        controller.abort(new Error('interrupted (SIGINT)'));
        throw new DevEvaluationError(commit, 'crash', 'the evaluation was aborted', '', 'none', 'e');
      },
      sealed,
    };
    await expect((await h.run({ evaluators, signal: controller.signal })).run()).rejects.toThrow('interrupted (SIGINT)');
    expect((await h.log.ownEvents('s1')).map((e) => e.type)).toEqual(['SearchStarted']);
    await h.close();
  });

  it('ends a wait for a proposer at once when stopped', async () => {
    const h = harness(3);
    const controller = new AbortController();
    const proposer: Proposer = {
      kind: 'llm',
      propose: () => {
        setImmediate(() => controller.abort(new Error('interrupted (SIGINT)')));
        return new Promise(() => undefined); // a model call that never answers
      },
    };
    await expect((await h.run({ proposer, signal: controller.signal })).run()).rejects.toThrow('interrupted (SIGINT)');
    expect(searchStatus(fold(await h.log.ownEvents('s1')))).toBe('open');
    await h.close();
  });
});
