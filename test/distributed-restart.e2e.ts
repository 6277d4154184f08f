import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { runDistributed, type SearchSummary } from '@hypotree/coordinator';
import type { RecordedSearchEvent } from '@hypotree/events';
import { startSecuredNats, type SecuredNats } from './support/nats-secured.js';
import { CapturingLogger, makeWorkdir, startServices, type ServiceSet } from './support/nats-services.js';
import { readSearchLog } from './support/search-log.js';
import { createTaskFixture, type TaskFixture } from './support/task-fixture.js';

// Surviving the broker (issue #12): nats-server killed with SIGKILL at a random point of a search
// and restarted on the same port; the coordinator, two executors and a distiller (all secured, in
// this process) reconnect, and every search completes with each experiment decided once. Queued
// dispatches survive in the JetStream work queue (the server's file store); reports in flight at the
// kill are lost (core NATS), and their experiments come back through the queue's redelivery or their
// leases (2 s here).

// The ten restarts (one per search); HYPOTREE_RESTARTS=N runs N; HYPOTREE_KILL_SEED replays a kill schedule.
const SEARCHES = Number(process.env.HYPOTREE_RESTARTS ?? 10);
const RESTART_AFTER_MS = 400;
const LEASE_MS = 2_000;

let nats: SecuredNats;
let services: ServiceSet | undefined;
const logger = new CapturingLogger();

// A toy task (a scorer and a candidate of a few lines) keeps each search to a few seconds.
let toy: TaskFixture;

beforeAll(async () => {
  nats = await startSecuredNats();
  toy = createTaskFixture({ parameters: { file: 'config.json', space: [{ name: 'x', type: 'float', min: 0, max: 10, default: 5 }] } });
});

afterAll(async () => {
  await services?.stop();
  await nats?.stop();
  toy?.cleanup();
});

const ofType = <T extends RecordedSearchEvent['type']>(events: RecordedSearchEvent[], type: T) =>
  events.filter((e): e is Extract<RecordedSearchEvent, { type: T }> => e.type === type);

/** A deterministic stream of numbers in [0, 1) (mulberry32), so a failing kill schedule can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function withDeadline<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms; warnings: ${logger.warnings.slice(-8).join(' | ')}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a secured cluster while the broker is killed and restarted', () => {
  it(`completes ${SEARCHES} searches, each with the broker killed -9 at a random point, every experiment decided once`, async () => {
    Logger.overrideLogger(logger);
    const workdir = makeWorkdir('hypotree-restart-');
    services = await startServices(nats.url, workdir, logger, [{ id: 'exA', security: nats.security('exA') }, { id: 'exB', security: nats.security('exB') }], { security: nats.security('distiller') });
    const seed = Number(process.env.HYPOTREE_KILL_SEED ?? 12);
    const next = random(seed);
    const kills: number[] = [];
    for (let i = 0; i < SEARCHES; i++) {
      const searchId = `restart-${i}`;
      const run: Promise<SearchSummary> = runDistributed({
        nats: nats.url,
        security: nats.security('coordinator'),
        logger,
        distillRetry: { tries: 4, perTryMs: 1_500, firstDelayMs: 200, maxDelayMs: 1_000 },
        config: { task: toy.task.specPath, workdir, searchId, budget: { experiments: 2, parallel: 2 }, leaseMs: LEASE_MS },
      });
      run.catch(() => undefined);
      const at = Math.round(200 + next() * 1_300);
      kills.push(at);
      let killedAt = Infinity;
      const crash = (async () => {
        await new Promise((r) => setTimeout(r, at));
        killedAt = Date.now();
        await nats.kill();
        await new Promise((r) => setTimeout(r, RESTART_AFTER_MS));
        await nats.restart();
      })();
      const summary = await withDeadline(`search ${searchId} (broker killed at ${at} ms, seed ${seed})`, run, 60_000);
      const finishedAt = Date.now();
      await crash;
      const events = await readSearchLog(workdir, searchId);
      const dispatched = ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId);
      const outcomes = [...ofType(events, 'ExperimentSucceeded'), ...ofType(events, 'ExperimentFailed')].map((e) => e.data.experimentId);
      expect({ searchId, completed: ofType(events, 'SearchCompleted').length, tested: ofType(events, 'FinalTestEvaluated').length }).toEqual({ searchId, completed: 1, tested: 1 });
      // Every dispatched experiment has exactly one outcome (a lost one: lease-expired, then its retry's).
      expect(outcomes.sort()).toEqual(dispatched.sort());
      expect(new Set(outcomes).size).toBe(outcomes.length);
      expect(summary.experiments).toBe(2);
      // The broker really went down mid-search.
      expect(killedAt).toBeLessThan(finishedAt);
    }
    expect(kills).toHaveLength(SEARCHES);
    // The connections said what happened and to which server; nothing exited.
    const host = nats.url.replace('nats://', '');
    expect(logger.matching(new RegExp(`^lost the connection to NATS at ${host}; reconnecting`)).length).toBeGreaterThanOrEqual(SEARCHES);
    expect(logger.matching(new RegExp(`^reconnected to NATS at ${host}$`)).length).toBeGreaterThanOrEqual(SEARCHES);
  }, 20_000 + SEARCHES * 60_000);

  it('a distill request that keeps failing is retried with backoff, then the search goes on without that insight, naming the server and the operation', async () => {
    Logger.overrideLogger(logger);
    await services?.stop();
    services = undefined;
    const workdir = makeWorkdir('hypotree-no-distiller-');
    services = await startServices(nats.url, workdir, logger, [{ id: 'exA', security: nats.security('exA') }]);
    const before = logger.warnings.length;
    const summary = await withDeadline(
      'a search without a distiller',
      runDistributed({
        nats: nats.url,
        security: nats.security('coordinator'),
        logger,
        distillRetry: { tries: 3, perTryMs: 300, firstDelayMs: 100, maxDelayMs: 1_000 },
        config: { task: toy.task.specPath, workdir, searchId: 'no-distiller', budget: { experiments: 1, parallel: 1 } },
      }),
      30_000,
    );
    expect(summary.experiments).toBe(1);
    const warnings = logger.warnings.slice(before);
    const operation = `hypotree\\.insight\\.distill request on ${nats.url.replace(/\./g, '\\.')}`;
    expect(warnings.filter((w) => new RegExp(`^${operation} failed \\(try 1 of 3\\): .*; retrying in 100 ms$`).test(w)).length).toBeGreaterThan(0);
    expect(warnings.filter((w) => new RegExp(`^${operation} failed \\(try 2 of 3\\): .*; retrying in 200 ms$`).test(w)).length).toBeGreaterThan(0);
    expect(warnings.filter((w) => new RegExp(`^distiller failed after \\d+: ${operation} failed after 3 tries: .+; the search goes on without new insights$`).test(w)).length).toBeGreaterThan(0);
    // Each missing lesson is an event with the reason (the search never exits over it).
    const gaps = ofType(await readSearchLog(workdir, 'no-distiller'), 'DistillationFailed');
    expect(gaps.length).toBeGreaterThan(0);
    for (const gap of gaps) expect(gap.data.reason).toMatch(new RegExp(`^${operation} failed after 3 tries: `));
  }, 40_000);
});
