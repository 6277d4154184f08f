import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { runDistributed, type SearchSummary } from '@hypotree/coordinator';
import type { RecordedSearchEvent } from '@hypotree/events';
import { executorInbox, Patterns, seal, WORK_QUEUE, workSubject, type Envelope } from '@hypotree/messaging';
import { startSecuredNats, type SecuredNats } from './support/nats-secured.js';
import { CapturingLogger, makeWorkdir, startServices } from './support/nats-services.js';
import { readSearchLog } from './support/search-log.js';
import { createTaskFixture, type TaskFixture } from './support/task-fixture.js';
import { waitFor } from './support/wait.js';

// The JetStream work queue (issue #12), on a real nats-server with per-role nkeys and permissions:
// a dispatch waits for an executor instead of vanishing; forged, unsigned, altered and replayed
// dispatches put into the queue are dropped, never run; a dispatch that executors take and never
// finish is dead-lettered after its last delivery and recorded as a crash with that reason.

let nats: SecuredNats;
let toy: TaskFixture;
// What one test started (services, connections): stopped after it, so no executor outlives its test.
let started: { close(): Promise<unknown> }[] = [];

beforeAll(async () => {
  nats = await startSecuredNats();
  toy = createTaskFixture({ parameters: { file: 'config.json', space: [{ name: 'x', type: 'float', min: 0, max: 10, default: 5 }] } });
});

afterEach(async () => {
  for (const thing of started.reverse()) await thing.close().catch(() => undefined);
  started = [];
});

afterAll(async () => {
  await nats?.stop();
  toy?.cleanup();
});

const ofType = <T extends RecordedSearchEvent['type']>(events: RecordedSearchEvent[], type: T) =>
  events.filter((e): e is Extract<RecordedSearchEvent, { type: T }> => e.type === type);

const within = <T>(what: string, promise: Promise<T>, ms: number, logger: CapturingLogger) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms; warnings: ${logger.warnings.slice(-6).join(' | ')}`)), ms))]);

async function as(role: 'intruder' | 'exB'): Promise<NatsConnection> {
  const nc = await connect({
    servers: nats.url,
    authenticator: nkeyAuthenticator(nats.security(role).identity.seed),
    ...(role === 'exB' ? { inboxPrefix: executorInbox('exB') } : {}),
  });
  started.push(nc);
  return nc;
}

async function log(workdir: string, searchId: string): Promise<RecordedSearchEvent[]> {
  return readSearchLog(workdir, searchId).catch(() => []);
}

describe('dispatches through the JetStream work queue (secured cluster)', () => {
  it('a dispatch made while no executor listens waits in the queue past its lease, and runs once one arrives', async () => {
    const workdir = makeWorkdir('hypotree-js-wait-');
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const distiller = await startServices(nats.url, workdir, logger, [], { security: nats.security('distiller') });
    started.push({ close: () => distiller.stop() });
    const searchId = 'js-waits';
    const leaseMs = 1_500;
    const run: Promise<SearchSummary> = runDistributed({
      nats: nats.url,
      security: nats.security('coordinator'),
      logger,
      config: { task: toy.task.specPath, workdir, searchId, leaseMs, budget: { experiments: 2, parallel: 1 } },
    });
    run.catch(() => undefined);
    await waitFor('the first dispatch', async () => ofType(await log(workdir, searchId), 'ExperimentDispatched')[0]);
    // Three leases with nobody listening: over core NATS the dispatch would have been lost and its lease expired.
    await new Promise((r) => setTimeout(r, 3 * leaseMs));
    const before = await log(workdir, searchId);
    expect(ofType(before, 'ExperimentFailed')).toEqual([]);
    const jsm = await jetstreamManager(await as('intruder'));
    expect((await jsm.streams.info(WORK_QUEUE.stream)).state.messages).toBe(1);

    const executor = await startServices(nats.url, workdir, logger, [{ id: 'exA', security: nats.security('exA') }]);
    started.push({ close: () => executor.stop() });
    const summary = await within('the search', run, 30_000, logger);
    const events = await log(workdir, searchId);
    expect(summary.experiments).toBe(2);
    expect(ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId)).toEqual(['1#1', '2#1']);
    expect(ofType(events, 'ExperimentStarted').map((e) => [e.data.experimentId, e.data.executorId])).toEqual([['1#1', 'exA'], ['2#1', 'exA']]);
    expect(ofType(events, 'ExperimentFailed').filter((e) => e.data.kind === 'lease-expired')).toEqual([]);
    expect((await jsm.streams.info(WORK_QUEUE.stream)).state.messages).toBe(0);
  }, 60_000);

  it('drops forged, unsigned, altered and replayed dispatches put into the queue: none is run, each refused with its reason', async () => {
    const workdir = makeWorkdir('hypotree-js-forged-');
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const intruder = await as('intruder');
    const heard: { subject: string; data: Uint8Array }[] = [];
    intruder.subscribe(`${WORK_QUEUE.subject}.>`, { callback: (_, msg) => void heard.push({ subject: msg.subject, data: msg.data }) });
    const startedIds: string[] = [];
    intruder.subscribe(Patterns.experimentStarted, {
      callback: (_, msg) => {
        try {
          const packet = JSON.parse(msg.string()) as { data: Envelope };
          startedIds.push(String((JSON.parse(packet.data.body) as { experimentId: string }).experimentId));
        } catch {
          // not a signed report
        }
      },
    });
    const services = await startServices(nats.url, workdir, logger, [{ id: 'exA', security: nats.security('exA') }], { security: nats.security('distiller') });
    started.push({ close: () => services.stop() });
    const searchId = 'js-forged';
    const run: Promise<SearchSummary> = runDistributed({
      nats: nats.url,
      security: nats.security('coordinator'),
      logger,
      config: { task: toy.task.specPath, workdir, searchId, budget: { experiments: 3, parallel: 1 } },
    });
    run.catch(() => undefined);

    // The genuine first dispatch, as the queue carried it (the intruder hears every subject).
    const genuine = await waitFor('the first queued dispatch', () => heard[0]);
    const envelope = JSON.parse(new TextDecoder().decode(genuine.data)) as Envelope;
    const body = JSON.parse(envelope.body) as Record<string, unknown>;
    const js = jetstream(intruder);
    const evil = { ...body, experimentId: 'evil#1', nodeId: '9', nonce: 'forged-nonce' };
    const subject = workSubject(searchId, '9');
    await js.publish(subject, JSON.stringify(seal(nats.security('intruder').identity, Patterns.dispatchExperiment, evil)));
    await js.publish(subject, JSON.stringify({ ...evil, experimentId: 'evil#2' }));
    await js.publish(subject, JSON.stringify({ ...envelope, body: JSON.stringify({ ...body, experimentId: 'evil#3' }) }));
    await js.publish(subject, 'FORGED \u0000 not json');
    // A replay: the genuine dispatch again, byte for byte, under another message id.
    await js.publish(genuine.subject, genuine.data);

    const summary = await within('the search', run, 30_000, logger);
    // The executor pulls what is queued whenever it has room: wait until the queue is empty.
    const jsm = await jetstreamManager(intruder);
    await waitFor('the queue to be empty', async () => ((await jsm.streams.info(WORK_QUEUE.stream)).state.messages === 0 ? true : undefined));
    const events = await log(workdir, searchId);
    expect(summary.experiments).toBe(3);
    expect(JSON.stringify(events)).not.toMatch(/evil#|FORGED/);
    expect(startedIds.filter((id) => id.startsWith('evil'))).toEqual([]);
    // The genuine first dispatch started once, by exA (its replay was dropped by the nonce it already took).
    expect(startedIds.filter((id) => id === body.experimentId)).toHaveLength(1);
    const refused = (pattern: RegExp) => logger.matching(pattern).length;
    expect(refused(/rejected a queued dispatch: signed by U\w+…, which is not a trusted coordinator key/)).toBe(1);
    expect(refused(/rejected a queued dispatch: not a signed message/)).toBe(2);
    expect(refused(/rejected a queued dispatch: the signature of coordinator coordinator-1 does not verify/)).toBe(1);
    // Nothing forged was given back for another executor: each was discarded at its first delivery.
    expect(refused(/rejected a queued dispatch/)).toBe(4);
  }, 60_000);

  it('a dispatch its executors take and never finish is dead-lettered after its last delivery, and recorded as a crash with that reason', async () => {
    const workdir = makeWorkdir('hypotree-js-dead-');
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const distiller = await startServices(nats.url, workdir, logger, [], { security: nats.security('distiller') });
    started.push({ close: () => distiller.stop() });
    // An executor that takes the dispatch and goes silent every time (what an executor that dies on it does).
    const silent = await as('exB');
    const searchId = 'js-dead';
    const leaseMs = 2_000;
    const run: Promise<SearchSummary> = runDistributed({
      nats: nats.url,
      security: nats.security('coordinator'),
      logger,
      maxDeliver: 3,
      config: { task: toy.task.specPath, workdir, searchId, leaseMs, budget: { experiments: 1, parallel: 1 } },
    });
    run.catch(() => undefined);
    await waitFor('the dispatch', async () => ofType(await log(workdir, searchId), 'ExperimentDispatched')[0]);
    const consumer = await jetstream(silent).consumers.get(WORK_QUEUE.stream, WORK_QUEUE.consumer);
    const deliveries: number[] = [];
    for (let i = 0; i < 3; i++) {
      const msg = await consumer.next({ expires: 5_000 });
      if (msg) deliveries.push(msg.info.deliveryCount);
    }
    expect(deliveries).toEqual([1, 2, 3]);
    // Executors go on pulling: the server finds the dispatch out of deliveries (and says so) when it looks for the next one.
    expect(await consumer.next({ expires: 3_000 })).toBeNull();

    const summary = await within('the search', run, 30_000, logger);
    const events = await log(workdir, searchId);
    expect(summary.experiments).toBe(1);
    const failed = ofType(events, 'ExperimentFailed');
    expect(failed.map((e) => [e.data.experimentId, e.data.kind])).toEqual([['1#1', 'crash']]);
    expect(failed[0]!.data.detail).toMatch(/^dead-lettered after 3 deliveries: no executor finished it \(kept in hypotree\.work\.dead\.js-dead\.1\); not dispatched again$/);
    expect(ofType(events, 'ExperimentDispatched')).toHaveLength(1);
    const jsm = await jetstreamManager(await as('intruder'));
    expect((await jsm.streams.info(WORK_QUEUE.stream)).state.messages).toBe(0);
    const dead = await jsm.streams.getMessage(WORK_QUEUE.deadStream, { last_by_subj: `${WORK_QUEUE.deadSubject}.js-dead.1` });
    expect((JSON.parse((JSON.parse(dead!.string()) as Envelope).body) as { experimentId: string }).experimentId).toBe('1#1');
    expect(logger.matching(/1#1 of search js-dead dead-lettered after 3 deliveries/)).toHaveLength(1);
  }, 60_000);
});
