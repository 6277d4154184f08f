import esdb from '@eventstore/db-client';
import { startTestEventStoreDb, type TestEventStoreDb } from '../../../../test/support/esdb-server.js';
import { anEvent, toArray, uniqueStream } from '../contract/harness.js';
import {
  AppendTooLargeError, InvalidPositionError, StoreAccessDeniedError, StoreUnavailableError, StreamDeletedError, StreamNotFoundError,
  WrongExpectedRevisionError,
} from '../errors.js';
import type { EventStore } from '../port.js';
import { SearchLog } from '../search-log.js';
import { EventStoreDbEventStore } from './esdb-event-store.js';

const actor = { service: 'test', instance: '1' };

// Every failure a real server answers with reaches the caller as one of the port's errors, on both append paths.
for (const batchAppend of [true, false]) {
  describe(`EventStoreDB adapter failures (${batchAppend ? 'BatchAppend' : 'classic Append'})`, () => {
    let server: TestEventStoreDb;
    let store: EventStore;
    let raw: InstanceType<typeof esdb.EventStoreDBClient>;
    const opened: EventStore[] = [];
    const open = (connectionString = server.connectionString): EventStore => {
      const s = EventStoreDbEventStore.connect({ connectionString });
      opened.push(s);
      return s;
    };

    beforeAll(async () => {
      server = await startTestEventStoreDb({ batchAppend, maxAppendSize: 4096 });
      raw = esdb.EventStoreDBClient.connectionString(server.connectionString);
    });
    beforeEach(() => {
      store = open();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    afterAll(async () => {
      await raw.dispose();
      await server.stop();
    });

    it('reads a conflict as a conflict when the connection string asks for results instead of errors (throwOnAppendFailure=false)', async () => {
      const stream = uniqueStream('soft');
      const lenient = `${server.connectionString}&throwOnAppendFailure=false`;
      await store.append(stream, [anEvent('A'), anEvent('B')], { expectedRevision: 'no-stream' });
      const conflict = open(lenient).append(stream, [anEvent('C')], { expectedRevision: 0 });
      await expect(conflict).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(open(lenient).append(stream, [anEvent('C')], { expectedRevision: 0 })).rejects.toMatchObject({ streamId: stream, expected: 0, actual: 1 });
      // Switched off: the client itself hands back an unsuccessful result, which an adapter that ignored it would report as written.
      const client = esdb.EventStoreDBClient.connectionString(lenient);
      const result = await client.appendToStream(stream, esdb.jsonEvent({ type: 'C', data: {} }), { expectedRevision: 0n });
      expect(result.success).toBe(false);
      await client.dispose();
      expect((await toArray(store.readStream(stream))).map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('names the stream, the operation and the leader problem when the node is not the leader, and a retry succeeds', async () => {
      const stream = uniqueStream('leader');
      server.inject('append', 'not-leader');
      const failure = store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
      await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(failure).rejects.toMatchObject({ reason: 'not-leader', streamId: stream, operation: 'append', store: 'EventStoreDB' });
      await expect(failure).rejects.toThrow(`EventStoreDB: append to stream ${stream} failed: the server is not the leader node`);
      const retried = await store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
      expect(retried.nextExpectedRevision).toBe(0);
    });

    it('reports an unavailable server on a read, naming the stream', async () => {
      const stream = uniqueStream('down');
      await store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
      server.inject('read', 'unavailable');
      const failure = toArray(store.readStream(stream));
      await expect(failure).rejects.toMatchObject({ name: 'StoreUnavailableError', reason: 'unavailable', operation: 'read', streamId: stream });
      await expect(failure).rejects.toThrow(`EventStoreDB: read of stream ${stream} failed: the server is unavailable`);
      expect((await toArray(store.readStream(stream))).map((e) => e.type)).toEqual(['A']);
    });

    it('reports a deadline the server let pass', async () => {
      server.inject('read', 'deadline-exceeded');
      const failure = toArray(store.readAll({ filter: { streamPrefix: [uniqueStream('late')] } }));
      await expect(failure).rejects.toMatchObject({ name: 'StoreUnavailableError', reason: 'deadline-exceeded', operation: 'readAll', streamId: '$all' });
      await expect(failure).rejects.toThrow(/read of \$all failed: the server did not answer before its deadline/);
    });

    it('reports an append whose deadline passed, and its retry with the same ids is written once', async () => {
      const stream = uniqueStream('slow');
      const hurried = open(`${server.connectionString}&defaultDeadline=150`);
      const event = anEvent('A');
      server.state.writeDelayMs = 400;
      try {
        const failure = hurried.append(stream, [event], { expectedRevision: 'no-stream' });
        await expect(failure).rejects.toMatchObject({ name: 'StoreUnavailableError', reason: 'deadline-exceeded', operation: 'append', streamId: stream });
        await expect(failure).rejects.toThrow('retry with the same event ids and expected revision');
      } finally {
        server.state.writeDelayMs = 0;
      }
      // The server may have written it after the client gave up (classic Append here) or not (BatchAppend's Timeout).
      await new Promise((resolve) => setTimeout(resolve, 450));
      await hurried.append(stream, [event], { expectedRevision: 'no-stream' });
      expect((await toArray(store.readStream(stream))).map((e) => e.id)).toEqual([event.id]);
    });

    it('refuses an append over the maximum append size, naming the limit, and writes nothing', async () => {
      const stream = uniqueStream('big');
      const failure = store.append(stream, [anEvent('Big', { blob: 'x'.repeat(5000) })], { expectedRevision: 'no-stream' });
      await expect(failure).rejects.toBeInstanceOf(AppendTooLargeError);
      await expect(failure).rejects.toMatchObject({ streamId: stream, maxAppendSize: 4096, eventCount: 1 });
      await expect(failure).rejects.toThrow(`append of 1 event(s) to stream ${stream} exceeds the server's maximum append size of 4096 bytes`);
      await expect(toArray(store.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
      // Just under the limit is written.
      await expect(store.append(stream, [anEvent('Small', { blob: 'x'.repeat(3000) })], { expectedRevision: 'no-stream' })).resolves.toMatchObject({
        nextExpectedRevision: 0,
      });
    });

    it('refuses a well-formed position the server never handed out', async () => {
      const failure = toArray(store.readAll({ fromPosition: 'C:5/P:5' }));
      await expect(failure).rejects.toBeInstanceOf(InvalidPositionError);
      await expect(failure).rejects.toThrow('position "C:5/P:5" is not a EventStoreDB position');
      const subscription = store.subscribeToAll({ from: { position: 'C:5/P:5' } });
      await expect(subscription[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(InvalidPositionError);
    });

    describe('deleted streams', () => {
      it('reports a tombstoned stream on read, append and subscribe, naming stream and operation', async () => {
        const stream = uniqueStream('tomb');
        await store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
        await raw.tombstoneStream(stream);
        const read = toArray(store.readStream(stream));
        await expect(read).rejects.toBeInstanceOf(StreamDeletedError);
        await expect(read).rejects.toMatchObject({ streamId: stream, deletion: 'tombstoned', operation: 'read' });
        await expect(read).rejects.toThrow(`EventStoreDB: read of stream ${stream} failed: the stream was deleted for good (tombstoned)`);
        const append = store.append(stream, [anEvent('B')], { expectedRevision: 'any' });
        await expect(append).rejects.toMatchObject({ name: 'StreamDeletedError', streamId: stream, deletion: 'tombstoned', operation: 'append' });
        const subscription = store.subscribeToStream(stream);
        await expect(subscription[Symbol.asyncIterator]().next()).rejects.toMatchObject({ name: 'StreamDeletedError', streamId: stream, operation: 'subscribe' });
      });

      it('ends a live stream subscription with StreamDeletedError when the stream is tombstoned under it', async () => {
        const stream = uniqueStream('tomb');
        await store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
        const events = store.subscribeToStream(stream)[Symbol.asyncIterator]();
        expect((await events.next()).value).toMatchObject({ type: 'A' });
        const next = events.next();
        await raw.tombstoneStream(stream);
        await expect(next).rejects.toMatchObject({ name: 'StreamDeletedError', streamId: stream, deletion: 'tombstoned' });
      });

      it('never lets the client\'s own StreamDeletedError escape from SearchLog', async () => {
        const searchId = uniqueStream('s');
        const stream = `search-${searchId}`;
        await store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
        await raw.tombstoneStream(stream);
        const log = new SearchLog(store, actor);
        const failure = log.ownEvents(searchId);
        await expect(failure).rejects.toBeInstanceOf(StreamDeletedError);
        await expect(failure).rejects.not.toHaveProperty('type');
        await expect(log.history(searchId)).rejects.toThrow(`read of stream ${stream} failed`);
      });

      it('tells a soft-deleted stream from one that never existed', async () => {
        const stream = uniqueStream('soft');
        await store.append(stream, [anEvent('A'), anEvent('B')], { expectedRevision: 'no-stream' });
        await raw.deleteStream(stream);
        await expect(toArray(store.readStream(stream))).rejects.toMatchObject({ name: 'StreamDeletedError', deletion: 'soft-deleted', streamId: stream });
        await expect(toArray(store.readStream(uniqueStream('never')))).rejects.toBeInstanceOf(StreamNotFoundError);
        // Written again, it comes back without its first revisions: a reader from the start is told so.
        await store.append(stream, [anEvent('C')], { expectedRevision: 'no-stream' });
        await expect(toArray(store.readStream(stream))).rejects.toMatchObject({ deletion: 'truncated', firstRevision: 2 });
        expect((await toArray(store.readStream(stream, { fromRevision: 2 }))).map((e) => `${e.revision}:${e.type}`)).toEqual(['2:C']);
      });

      it('reports a stream truncated by $maxCount when read from its start, forwards or backwards, and not when read where it still is', async () => {
        const stream = uniqueStream('capped');
        await store.append(stream, ['A', 'B', 'C', 'D', 'E'].map((t) => anEvent(t)), { expectedRevision: 'no-stream' });
        await raw.setStreamMetadata(stream, { maxCount: 2 });
        const forwards = toArray(store.readStream(stream));
        await expect(forwards).rejects.toBeInstanceOf(StreamDeletedError);
        await expect(forwards).rejects.toMatchObject({ deletion: 'truncated', firstRevision: 3, streamId: stream });
        await expect(forwards).rejects.toThrow('its first stored revision is 3');
        await expect(toArray(store.readStream(stream, { direction: 'backwards' }))).rejects.toMatchObject({ deletion: 'truncated', firstRevision: 3 });
        expect((await toArray(store.readStream(stream, { fromRevision: 3 }))).map((e) => e.type)).toEqual(['D', 'E']);
        expect((await toArray(store.readStream(stream, { direction: 'backwards', maxCount: 2 }))).map((e) => e.type)).toEqual(['E', 'D']);
        // Switched off: the raw client hands back the tail as if it were the whole stream.
        const tail: string[] = [];
        for await (const resolved of raw.readStream(stream)) tail.push(resolved.event!.type);
        expect(tail).toEqual(['D', 'E']);
      });
    });
  });
}

describe('EventStoreDB adapter over TLS with credentials, and through cluster discovery', () => {
  let server: TestEventStoreDb;
  const opened: EventStore[] = [];

  beforeAll(async () => {
    server = await startTestEventStoreDb({ secure: true });
  });
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await server.stop();
  });

  it('finds the leader through gossip with an esdb+discover:// connection string and works through it', async () => {
    const store = EventStoreDbEventStore.connect({ connectionString: server.discoverConnectionString });
    opened.push(store);
    const stream = uniqueStream('discover');
    await store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
    expect((await toArray(store.readStream(stream))).map((e) => e.type)).toEqual(['A']);
  });

  it('appends and reads $all as an admin, and names AccessDenied for a user who may not read $all', async () => {
    const admin = EventStoreDbEventStore.connect({ connectionString: server.connectionString });
    const reader = EventStoreDbEventStore.connect({ connectionString: server.readerConnectionString! });
    opened.push(admin, reader);
    const prefix = uniqueStream('tls');
    await admin.append(`${prefix}-a`, [anEvent('A')], { expectedRevision: 'no-stream' });
    expect((await toArray(admin.readAll({ filter: { streamPrefix: [prefix] } }))).map((e) => e.type)).toEqual(['A']);
    expect((await toArray(reader.readStream(`${prefix}-a`))).map((e) => e.type)).toEqual(['A']);
    const denied = toArray(reader.readAll({ filter: { streamPrefix: [prefix] } }));
    await expect(denied).rejects.toBeInstanceOf(StoreAccessDeniedError);
    await expect(denied).rejects.toThrow('EventStoreDB: read of $all was refused: access denied');
    const subscription = reader.subscribeToAll({ filter: { streamPrefix: [prefix] } });
    await expect(subscription[Symbol.asyncIterator]().next()).rejects.toMatchObject({ name: 'StoreAccessDeniedError', operation: 'subscribeToAll' });
  });
});
