import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { runDistributed, type SearchSummary } from '@hypotree/coordinator';
import type { RecordedSearchEvent } from '@hypotree/events';
import { DispatchQueue, executorInbox, Patterns, seal, WORK_QUEUE, workQueueFor, workSubject, type Envelope } from '@hypotree/messaging';
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

async function as(role: 'intruder' | 'exB' | 'coordinator'): Promise<NatsConnection> {
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
  it('dispatches made while no executor listens wait in the queue past their leases, and all run once one arrives', async () => {
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
      // Two at once, on two nodes' subjects: on nats-server 2.9 the filtered purge that used to
      // withdraw a node's earlier attempt moved the consumer past the other node's waiting dispatch,
      // which was then never delivered (the search stalled).
      config: { task: toy.task.specPath, workdir, searchId, leaseMs, budget: { experiments: 3, parallel: 2 } },
    });
    run.catch(() => undefined);
    await waitFor('the first two dispatches', async () => ofType(await log(workdir, searchId), 'ExperimentDispatched')[1]);
    // Three leases with nobody listening: over core NATS the dispatches would have been lost and their leases expired.
    await new Promise((r) => setTimeout(r, 3 * leaseMs));
    const before = await log(workdir, searchId);
    expect(ofType(before, 'ExperimentFailed')).toEqual([]);
    const jsm = await jetstreamManager(await as('intruder'));
    expect((await jsm.streams.info(WORK_QUEUE.stream)).state.messages).toBe(2);
    // Both are still owed to the executors' consumer.
    expect((await jsm.consumers.info(WORK_QUEUE.stream, WORK_QUEUE.consumer)).num_pending).toBe(2);

    const executor = await startServices(nats.url, workdir, logger, [{ id: 'exA', security: nats.security('exA') }]);
    started.push({ close: () => executor.stop() });
    const summary = await within('the search', run, 30_000, logger);
    const events = await log(workdir, searchId);
    expect(summary.experiments).toBe(3);
    expect(ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId)).toEqual(['1#1', '2#1', '3#1']);
    expect(ofType(events, 'ExperimentStarted').map((e) => [e.data.experimentId, e.data.executorId])).toEqual([['1#1', 'exA'], ['2#1', 'exA'], ['3#1', 'exA']]);
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
    // Each on a node subject of its own: the queue keeps one dispatch per node (the latest attempt).
    await js.publish(workSubject(searchId, '9'), JSON.stringify(seal(nats.security('intruder').identity, Patterns.dispatchExperiment, evil)));
    await js.publish(workSubject(searchId, '10'), JSON.stringify({ ...evil, experimentId: 'evil#2' }));
    await js.publish(workSubject(searchId, '11'), JSON.stringify({ ...envelope, body: JSON.stringify({ ...body, experimentId: 'evil#3' }) }));
    await js.publish(workSubject(searchId, '12'), 'FORGED \u0000 not json');
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

  it('a dispatch the consumer passes for good (a filtered purge of another subject, on nats-server 2.9) gets a lease and is dispatched again: the search completes', async () => {
    const workdir = makeWorkdir('hypotree-js-stranded-');
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const distiller = await startServices(nats.url, workdir, logger, [], { security: nats.security('distiller') });
    started.push({ close: () => distiller.stop() });
    const searchId = 'js-stranded';
    const run: Promise<SearchSummary> = runDistributed({
      nats: nats.url,
      security: nats.security('coordinator'),
      logger,
      config: { task: toy.task.specPath, workdir, searchId, leaseMs: 1_500, budget: { experiments: 3, parallel: 2 } },
    });
    run.catch(() => undefined);
    await waitFor('the first two dispatches', async () => ofType(await log(workdir, searchId), 'ExperimentDispatched')[1]);
    // Someone with the rights purges an unrelated subject while nobody pulls. nats-server 2.9 then
    // moves the consumer past both waiting dispatches; a later server leaves them be.
    const intruder = await as('intruder');
    const jsm = await jetstreamManager(intruder);
    await jsm.streams.purge(WORK_QUEUE.stream, { filter: workSubject('elsewhere', '1') });
    const stranded = (await jsm.consumers.info(WORK_QUEUE.stream, WORK_QUEUE.consumer)).num_pending === 0;
    // The defect this guards against is the server's; on the 2.9 servers Debian ships it shows.
    if (/^2\.9\./.test(intruder.info?.version ?? '')) expect(stranded).toBe(true);
    const executor = await startServices(nats.url, workdir, logger, [{ id: 'exA', security: nats.security('exA') }]);
    started.push({ close: () => executor.stop() });
    const summary = await within('the search', run, 40_000, logger);
    const events = await log(workdir, searchId);
    expect(summary.experiments).toBe(3);
    const dispatched = ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId);
    const outcomes = [...ofType(events, 'ExperimentSucceeded'), ...ofType(events, 'ExperimentFailed')].map((e) => e.data.experimentId);
    expect([...outcomes].sort()).toEqual([...dispatched].sort());
    if (stranded) {
      // Each stranded dispatch ran out its lease and went out again as its node's next attempt.
      expect(logger.matching(/left the work queue but no executor reported on it/).length).toBeGreaterThanOrEqual(2);
      expect(ofType(events, 'ExperimentFailed').filter((e) => e.data.kind === 'lease-expired').map((e) => e.data.experimentId).sort()).toEqual(['1#1', '2#1']);
      expect(dispatched).toEqual(expect.arrayContaining(['1#2', '2#2']));
    }
  }, 60_000);

  it('says which dispatches the queue still owes an executor: waiting, taken, given back; not one out of deliveries whose dead-letter advisory was missed', async () => {
    const coordinator = await as('coordinator');
    // Ack wait 200 ms, two deliveries; the advisory subscription is closed at once (an advisory missed).
    const queue = await DispatchQueue.open(coordinator, workQueueFor(800, 2), { warn: () => undefined });
    queue.close();
    const dispatch = (nodeId: string) => ({ searchId: 'owed', experimentId: `${nodeId}#1`, nodeId });
    const executor = await as('exB');
    const consumer = await jetstream(executor).consumers.get(WORK_QUEUE.stream, WORK_QUEUE.consumer);
    await queue.publish(dispatch('1'), JSON.stringify(dispatch('1')));
    expect(await queue.holds(dispatch('1'))).toBe(true); // waiting
    const taken = (await consumer.next({ expires: 2_000 }))!;
    expect(taken.json<{ experimentId: string }>().experimentId).toBe('1#1');
    expect(await queue.holds(dispatch('1'))).toBe(true); // taken, not acked
    taken.nak();
    await executor.flush();
    expect(await queue.holds(dispatch('1'))).toBe(true); // given back
    expect((await consumer.next({ expires: 2_000 }))!.info.deliveryCount).toBe(2);
    // Its last delivery runs out (no ack); the consumer will not deliver it again, and nothing moves it.
    expect(await consumer.next({ expires: 1_000 })).toBeNull();
    const jsm = await jetstreamManager(await as('intruder'));
    expect((await jsm.streams.getMessage(WORK_QUEUE.stream, { last_by_subj: workSubject('owed', '1') }))).not.toBeNull();
    expect(await queue.holds(dispatch('1'))).toBe(false);
    // A dispatch of another node queued after it is owed again.
    await queue.publish(dispatch('2'), JSON.stringify(dispatch('2')));
    expect(await queue.holds(dispatch('2'))).toBe(true);
    const next = (await consumer.next({ expires: 2_000 }))!;
    next.ack();
    await executor.flush();
    expect(await queue.holds(dispatch('2'))).toBe(false); // done
    await jsm.streams.purge(WORK_QUEUE.stream);
  }, 30_000);

  it('a work queue made by an earlier version is brought to one dispatch per node when a coordinator opens it, keeping what waits in it', async () => {
    const jsm = await jetstreamManager(await as('intruder'));
    // The queue as the version that withdrew attempts with a filtered purge made it: no per-subject limit.
    await jsm.streams.delete(WORK_QUEUE.stream);
    await jsm.streams.add({ name: WORK_QUEUE.stream, subjects: [`${WORK_QUEUE.subject}.>`], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
    const js = jetstream(await as('intruder'));
    await js.publish(workSubject('old', '1'), 'waiting since before the upgrade');
    const coordinator = await as('coordinator');
    const warnings: string[] = [];
    const queue = await DispatchQueue.open(coordinator, workQueueFor(2_000), { warn: (m) => void warnings.push(m) });
    started.push({ close: async () => queue.close() });
    const info = await jsm.streams.info(WORK_QUEUE.stream);
    expect(info.config.max_msgs_per_subject).toBe(1);
    expect(info.state.messages).toBe(1);
    expect(warnings).toEqual([]);
    // A node's new attempt replaces its earlier one; another node's dispatch stays, and both are owed to the executors.
    await queue.publish({ searchId: 'new', experimentId: '1#1', nodeId: '1' }, 'attempt 1');
    await queue.publish({ searchId: 'new', experimentId: '1#2', nodeId: '1' }, 'attempt 2');
    expect((await jsm.streams.getMessage(WORK_QUEUE.stream, { last_by_subj: workSubject('new', '1') }))!.string()).toBe('attempt 2');
    expect((await jsm.streams.info(WORK_QUEUE.stream)).state.messages).toBe(2);
    expect((await jsm.consumers.info(WORK_QUEUE.stream, WORK_QUEUE.consumer)).num_pending).toBe(2);
  }, 30_000);
});
