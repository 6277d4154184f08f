import esdb from '@eventstore/db-client';
import { startTestEventStoreDb, type TestEventStoreDb } from '../../../../test/support/esdb-server.js';
import { anEvent, take, toArray, uniqueStream, withDeadline } from '../contract/harness.js';
import { StoreUnavailableError } from '../errors.js';
import type { EventStore, StoredEvent } from '../port.js';
import { EventStoreDbEventStore } from './esdb-event-store.js';

// Subscriptions, checkpoints, retries and reads that only a server with EventStoreDB's behaviour can show.
describe('EventStoreDB adapter against server behaviour', () => {
  let server: TestEventStoreDb;
  let raw: InstanceType<typeof esdb.EventStoreDBClient>;
  const opened: EventStore[] = [];
  const open = (resume = { initialDelayMs: 10, maxDelayMs: 40, maxAttempts: 3 }): EventStore => {
    const store = EventStoreDbEventStore.connect({ connectionString: server.connectionString, resume });
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    server = await startTestEventStoreDb();
    raw = esdb.EventStoreDBClient.connectionString(server.connectionString);
  });
  afterEach(async () => {
    server.state.subscribeDelayMs = 0;
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await raw.dispose();
    await server.stop();
  });

  describe('subscribing from the end', () => {
    it('sees an append made right after subscribing, even when the server is slow to confirm', async () => {
      const store = open();
      const prefix = uniqueStream('end');
      server.state.subscribeDelayMs = 150;
      const subscription = store.subscribeToAll({ from: 'end', filter: { streamPrefix: [prefix] } });
      await store.append(`${prefix}-a`, [anEvent('Right after')], { expectedRevision: 'no-stream' });
      expect((await take(subscription[Symbol.asyncIterator](), 1)).map((e) => e.type)).toEqual(['Right after']);
      const stream = store.subscribeToStream(`${prefix}-a`, { from: 'end' });
      await store.append(`${prefix}-a`, [anEvent('Next')], { expectedRevision: 0 });
      expect((await take(stream[Symbol.asyncIterator](), 1)).map((e) => e.type)).toEqual(['Next']);
    });

    it('would miss that append without waiting for the confirmation (the raw client)', async () => {
      const prefix = uniqueStream('end');
      server.state.subscribeDelayMs = 150;
      const seen: string[] = [];
      const subscription = raw.subscribeToAll({ fromPosition: esdb.END, filter: esdb.streamNameFilter({ prefixes: [prefix] }) });
      subscription.on('data', (resolved: esdb.AllStreamResolvedEvent) => seen.push(resolved.event!.type));
      const confirmed = new Promise((resolve) => subscription.once('confirmation', resolve));
      await raw.appendToStream(`${prefix}-a`, esdb.jsonEvent({ type: 'Right after', data: {} }));
      await withDeadline(confirmed, 3000, 'the raw subscription to be confirmed');
      await raw.appendToStream(`${prefix}-a`, esdb.jsonEvent({ type: 'Sentinel', data: {} }));
      const deadline = Date.now() + 3000;
      while (!seen.includes('Sentinel') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await subscription.unsubscribe();
      expect(seen).toEqual(['Sentinel']);
    });
  });

  describe('dropped subscriptions', () => {
    it('resumes a stream and a filtered $all subscription after the server drops them, without loss or duplicate', async () => {
      const store = open();
      const prefix = uniqueStream('drop');
      const stream = `${prefix}-a`;
      await store.append(stream, [anEvent('E0'), anEvent('E1')], { expectedRevision: 'no-stream' });
      const onStream = store.subscribeToStream(stream)[Symbol.asyncIterator]();
      const onAll = store.subscribeToAll({ filter: { streamPrefix: [prefix] } })[Symbol.asyncIterator]();
      const seenStream: StoredEvent[] = await take(onStream, 2);
      const seenAll: StoredEvent[] = await take(onAll, 2);
      expect(server.dropSubscriptions()).toBe(2);
      await store.append(stream, [anEvent('E2')], { expectedRevision: 1 });
      server.dropSubscriptions();
      await store.append(stream, [anEvent('E3')], { expectedRevision: 2 });
      seenStream.push(...(await take(onStream, 2)));
      seenAll.push(...(await take(onAll, 2)));
      await store.append(stream, [anEvent('Sentinel')], { expectedRevision: 3 });
      seenStream.push(...(await take(onStream, 1)));
      seenAll.push(...(await take(onAll, 1)));
      for (const seen of [seenStream, seenAll]) {
        expect(seen.map((e) => `${e.revision}:${e.type}`)).toEqual(['0:E0', '1:E1', '2:E2', '3:E3', '4:Sentinel']);
        expect(new Set(seen.map((e) => e.position)).size).toBe(5);
      }
    });

    it('resumes through a node that answers NotLeader first, without loss', async () => {
      const store = open();
      const stream = uniqueStream('moved');
      await store.append(stream, [anEvent('E0')], { expectedRevision: 'no-stream' });
      const events = store.subscribeToStream(stream)[Symbol.asyncIterator]();
      expect((await take(events, 1)).map((e) => e.type)).toEqual(['E0']);
      server.inject('subscribe', 'not-leader', 2);
      server.dropSubscriptions();
      await store.append(stream, [anEvent('E1')], { expectedRevision: 0 });
      expect((await take(events, 1)).map((e) => `${e.revision}:${e.type}`)).toEqual(['1:E1']);
      await store.append(stream, [anEvent('E2')], { expectedRevision: 1 });
      expect((await take(events, 1)).map((e) => `${e.revision}:${e.type}`)).toEqual(['2:E2']);
    });

    it('gives up with StoreUnavailableError naming the subscription after the configured tries in a row', async () => {
      const store = open({ initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 });
      const stream = uniqueStream('gone');
      await store.append(stream, [anEvent('E0')], { expectedRevision: 'no-stream' });
      const events = store.subscribeToStream(stream)[Symbol.asyncIterator]();
      expect((await take(events, 1)).map((e) => e.type)).toEqual(['E0']);
      server.inject('subscribe', 'unavailable', 3);
      server.dropSubscriptions();
      const failure = events.next();
      await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(failure).rejects.toMatchObject({ operation: 'subscribe', streamId: stream, reason: 'unavailable' });
      await expect(failure).rejects.toThrow(`EventStoreDB: subscription to stream ${stream} failed: the server is unavailable`);
    });
  });

  describe('filtered $all checkpoints', () => {
    it('checkpoints at each page of the search window during catch-up and once when it goes live', async () => {
      const store = EventStoreDbEventStore.connect({ connectionString: server.connectionString, checkpointWindow: 8 });
      opened.push(store);
      const prefix = uniqueStream('pages');
      const start = await store.append(`${prefix}-start`, [anEvent('Start')], { expectedRevision: 'no-stream' });
      // 20 non-matching events of our own; the server scans each with its link event in $ce-.
      for (let i = 0; i < 20; i += 1) await store.append(`${prefix}-skip`, [anEvent('S')], { expectedRevision: 'any' });
      const checkpoints: string[] = [];
      const subscription = store.subscribeToAll({
        from: { position: start.position },
        filter: { streamPrefix: [`${prefix}-match`] },
        onCheckpoint: (position) => {
          checkpoints.push(position);
        },
      });
      const events = subscription[Symbol.asyncIterator]();
      const pending = take(events, 1);
      const deadline = Date.now() + 3000;
      // The start event's link, then 20 events and 20 links after the start: 41 scanned, pages of 8 → 5 page ends, then going live.
      while (checkpoints.length < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(checkpoints).toHaveLength(6);
      expect(new Set(checkpoints).size).toBe(6);
      await store.append(`${prefix}-match`, [anEvent('M')], { expectedRevision: 'no-stream' });
      expect((await pending).map((e) => e.type)).toEqual(['M']);
    });
  });

  describe('filtered $all checkpoints at the last page end', () => {
    it('does not repeat the page-end checkpoint when catch-up goes live on it', async () => {
      const store = EventStoreDbEventStore.connect({ connectionString: server.connectionString, checkpointWindow: 1 });
      opened.push(store);
      const prefix = uniqueStream('edge');
      const start = await store.append(`${prefix}-start`, [anEvent('Start')], { expectedRevision: 'no-stream' });
      for (let i = 0; i < 3; i += 1) await store.append(`${prefix}-skip`, [anEvent('S')], { expectedRevision: 'any' });
      const checkpoints: string[] = [];
      const subscription = store.subscribeToAll({
        from: { position: start.position },
        filter: { streamPrefix: [`${prefix}-match`] },
        onCheckpoint: (position) => {
          checkpoints.push(position);
        },
      });
      const pending = take(subscription[Symbol.asyncIterator](), 1);
      // The start event's link, 3 events and their 3 links: 7 scanned, a page each, the last also where it goes live.
      const deadline = Date.now() + 3000;
      while (checkpoints.length < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(checkpoints).toHaveLength(7);
      expect(new Set(checkpoints).size).toBe(7);
      await store.append(`${prefix}-match`, [anEvent('M')], { expectedRevision: 'no-stream' });
      expect((await pending).map((e) => e.type)).toEqual(['M']);
    });
  });

  describe('idempotency as EventStoreDB has it', () => {
    it('de-duplicates an exact-revision retry after a restart, but an any retry only while the server remembers its ids', async () => {
      const store = open();
      const stream = uniqueStream('restart');
      const exact = [anEvent('A')];
      const loose = [anEvent('B')];
      await store.append(stream, exact, { expectedRevision: 'no-stream' });
      await store.append(stream, loose, { expectedRevision: 'any' });
      expect((await store.append(stream, loose, { expectedRevision: 'any' })).nextExpectedRevision).toBe(1);
      server.restart();
      expect((await store.append(stream, exact, { expectedRevision: 'no-stream' })).nextExpectedRevision).toBe(0);
      expect((await store.append(stream, loose, { expectedRevision: 'any' })).nextExpectedRevision).toBe(2);
      expect((await toArray(store.readStream(stream))).map((e) => e.type)).toEqual(['A', 'B', 'B']);
    });
  });

  describe('reading $all', () => {
    it('has the server filter by exact event type when no prefix is given, regex characters included', async () => {
      const store = open();
      const stream = uniqueStream('types');
      const wanted = `${stream}.T+x`;
      await store.append(stream, [anEvent(wanted), anEvent(`${stream}.TTx`), anEvent(`${wanted}y`), anEvent(wanted)], { expectedRevision: 'no-stream' });
      const before = server.state.eventsRead;
      const events = await toArray(store.readAll({ filter: { eventTypes: [wanted] } }));
      expect(events.map((e) => `${e.revision}:${e.type}`)).toEqual([`0:${wanted}`, `3:${wanted}`]);
      expect(server.state.eventsRead - before).toBe(2);
    });

    it('has the server filter by stream prefix, so system and link events are never sent', async () => {
      const store = open();
      const prefix = uniqueStream('scan');
      for (let i = 0; i < 5; i += 1) await store.append(`${prefix}-${i}`, [anEvent('E')], { expectedRevision: 'no-stream' });
      await store.append(uniqueStream('other'), [anEvent('X')], { expectedRevision: 'no-stream' });
      const before = server.state.eventsRead;
      const events = await toArray(store.readAll({ filter: { streamPrefix: [prefix] } }));
      expect(events.map((e) => e.streamId)).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
      expect(server.state.eventsRead - before).toBe(5);
      // Without a filter the server leaves out `$` types (link events, statistics), and the adapter shows no system event.
      const everything = await toArray(store.readAll());
      expect(everything.filter((e) => e.streamId.startsWith('$') || e.type.startsWith('$'))).toEqual([]);
      expect(everything.length).toBeGreaterThanOrEqual(6);
      // Switched off: the raw client's readAll sends no filter and receives every system and link event too.
      const rawBefore = server.state.eventsRead;
      let links = 0;
      for await (const resolved of raw.readAll()) if (resolved.event?.type === '$>') links += 1;
      expect(links).toBeGreaterThanOrEqual(6);
      expect(server.state.eventsRead - rawBefore).toBe(server.log.records.length);
    });
  });
});
