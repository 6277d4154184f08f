import esdb, { type AppendExpectedRevision, type Filter, type ResolvedEvent } from '@eventstore/db-client';
import { MalformedEventError, StreamDeletedError, WrongExpectedRevisionError } from '../errors.js';
import { checkEventsToAppend, matchesFilter } from '../events.js';
import type {
  AppendOptions, AppendResult, EventFilter, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, StoredEvent,
  SubscribeToAllOptions, SubscribeToStreamOptions, Subscription,
} from '../port.js';
import { isSystemEvent, storeName, toStoredEvent, translateError, type ErrorContext } from './convert.js';
import { defaultResumePolicy, SubscriptionFeed, type ResumePolicy, type SubscriptionSource } from './feed.js';
import { readAllFiltered, serverExpression } from './filtered-read.js';
import { formatPosition, parsePosition } from './positions.js';

const { EventStoreDBClient, jsonEvent, streamNameFilter, eventTypeFilter, START, END, ANY, NO_STREAM, FORWARDS, BACKWARDS } = esdb;

export interface EventStoreDbOptions {
  /**
   * `esdb://host:2113?tls=false` (one node, no TLS), `esdb://user:password@host:2113?tlsCAFile=ca.crt` (TLS and
   * credentials), or `esdb+discover://user:password@node1:2113,node2:2113,node3:2113` (a cluster, found by gossip).
   */
  connectionString: string;
  /** Events a filtered `$all` subscription may scan between two checkpoints. Default 32. */
  checkpointWindow?: number;
  /** How a subscription the server drops is opened again. Default: 50 ms doubling to 2 s, 10 tries in a row. */
  resume?: Partial<ResumePolicy>;
}

function expectedRevisionFor(expected: AppendOptions['expectedRevision']): AppendExpectedRevision {
  return expected === 'any' ? ANY : expected === 'no-stream' ? NO_STREAM : BigInt(expected);
}

/**
 * Leaving a read early unpipes the client's gRPC stream, which then never ends, and the client's dispose() waits for
 * it forever: let it flow to its end (or its cancellation) instead.
 */
function drainOnEarlyExit(read: NodeJS.EventEmitter): void {
  read.on('unpipe', (source: NodeJS.ReadableStream) => source.resume());
}

/**
 * The distributed event store: EventStoreDB / KurrentDB over gRPC. Event ids are passed through, so the server
 * de-duplicates exact retries. Every client error reaches the caller as one of the port's errors, naming the store,
 * the stream and the operation.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: InstanceType<typeof EventStoreDBClient>;
  private readonly feeds = new Set<SubscriptionFeed>();
  /** Subscriptions from `end` not yet confirmed: appends through this store wait for them, so they see those appends. */
  private readonly confirming = new Set<Promise<void>>();
  private readonly checkpointWindow: number;
  private readonly resume: ResumePolicy;

  /** Connects lazily: the first call opens the gRPC channel. */
  static connect(options: EventStoreDbOptions): EventStoreDbEventStore {
    return new EventStoreDbEventStore(options);
  }

  private constructor(options: EventStoreDbOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.checkpointWindow = options.checkpointWindow ?? 32;
    this.resume = { ...defaultResumePolicy, ...options.resume };
  }

  async append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult> {
    checkEventsToAppend(streamId, events);
    if (events.length === 0) throw new RangeError(`stream ${streamId}: nothing to append (pass at least one event)`);
    const proposed = events.map((event) =>
      jsonEvent({ id: event.id.toLowerCase(), type: event.type, data: event.data as Record<string, never>, metadata: event.metadata }),
    );
    if (this.confirming.size > 0) await Promise.all(this.confirming);
    const context: ErrorContext = { operation: 'append', streamId, expected: options.expectedRevision, eventCount: events.length };
    let result: Awaited<ReturnType<typeof this.client.appendToStream>>;
    try {
      result = await this.client.appendToStream(streamId, proposed, { expectedRevision: expectedRevisionFor(options.expectedRevision) });
    } catch (error) {
      throw translateError(error, context);
    }
    if (!result.success) {
      // `throwOnAppendFailure=false` in the connection string: a conflict comes back as a result, and on the BatchAppend
      // path 6.2 reports its revision wrongly, so ask the stream where it is.
      throw new WrongExpectedRevisionError(streamId, options.expectedRevision, await this.lastRevision(streamId));
    }
    const nextExpectedRevision = Number(result.nextExpectedRevision);
    const position = result.position ? formatPosition(result.position) : await this.positionOf(streamId, nextExpectedRevision);
    return { nextExpectedRevision, position };
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const backwards = options.direction === 'backwards';
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    const read = this.client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision),
      maxCount,
    });
    const context: ErrorContext = { operation: 'read', streamId };
    drainOnEarlyExit(read);
    // Where the first event must be: a forward read that starts later lost its first revisions to truncation.
    let expectedFirst = backwards ? undefined : (options.fromRevision ?? 0);
    let count = 0;
    let last: number | undefined;
    try {
      for await (const resolved of read as AsyncIterable<ResolvedEvent>) {
        const revision = Number(resolved.event?.revision ?? -1);
        if (expectedFirst !== undefined && revision > expectedFirst) throw new StreamDeletedError(storeName, 'read', streamId, 'truncated', revision);
        expectedFirst = undefined;
        count += 1;
        last = revision;
        yield toStoredEvent(resolved);
      }
    } catch (error) {
      throw await this.explainMissing(translateError(error, context), streamId);
    } finally {
      await read.cancel();
    }
    // A backward read that stops above revision 0 with room left did not reach the stream's start: it was truncated.
    if (backwards && last !== undefined && last > 0 && count < maxCount) throw new StreamDeletedError(storeName, 'read', streamId, 'truncated', last);
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const from = options.fromPosition === undefined ? undefined : parsePosition(options.fromPosition);
    const context: ErrorContext = { operation: 'readAll', streamId: '$all', position: options.fromPosition };
    // The server filters on the stream prefix (else the types, else drops `$` types); the rest is checked here.
    const read = readAllFiltered(this.client, from, options.filter, options.maxCount ?? Number.MAX_SAFE_INTEGER);
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    drainOnEarlyExit(read);
    try {
      for await (const resolved of read) {
        if (remaining <= 0) break;
        if (isSystemEvent(resolved) || !resolved.event || !matchesFilter(options.filter, resolved.event.streamId, resolved.event.type)) continue;
        remaining -= 1;
        yield toStoredEvent(resolved);
      }
    } catch (error) {
      throw translateError(error, context);
    } finally {
      await read.cancel();
    }
  }

  subscribeToStream(streamId: string, options: SubscribeToStreamOptions = {}): Subscription {
    const from = options.from ?? 'start';
    const feed = this.track(
      new SubscriptionFeed({
        convert: toStoredEvent,
        cursorOf: (resolved) => resolved.event?.revision.toString(),
        onClose: (done) => this.feeds.delete(done),
        context: { operation: 'subscribe', streamId },
        resume: this.resume,
      }),
      from === 'end',
    );
    const initial = from === 'start' ? START : from === 'end' ? END : BigInt(from.revision);
    return feed.start((cursor) =>
      this.client.subscribeToStream(streamId, { fromRevision: cursor === undefined ? initial : BigInt(cursor) }) as unknown as SubscriptionSource,
    );
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const from = options.from ?? 'start';
    const wanted = options.filter;
    const convert = (resolved: ResolvedEvent): StoredEvent | undefined =>
      isSystemEvent(resolved) || !resolved.event || !matchesFilter(wanted, resolved.event.streamId, resolved.event.type)
        ? undefined
        : toStoredEvent(resolved);
    const initial = from === 'start' ? START : from === 'end' ? END : parsePosition(from.position);
    const feed = this.track(
      new SubscriptionFeed({
        convert,
        cursorOf: (resolved) => (resolved.event?.position ? formatPosition(resolved.event.position) : undefined),
        onCheckpoint: options.onCheckpoint,
        onClose: (done) => this.feeds.delete(done),
        context: { operation: 'subscribeToAll', streamId: '$all', position: typeof from === 'object' ? from.position : undefined },
        resume: this.resume,
      }),
      from === 'end',
    );
    return feed.start((cursor) => {
      let source: SubscriptionSource | undefined;
      const filter = this.serverFilter(wanted, (position) => feed.checkpointReached(formatPosition(position), source!));
      source = this.client.subscribeToAll({ fromPosition: cursor === undefined ? initial : parsePosition(cursor), filter }) as unknown as SubscriptionSource;
      return source;
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.feeds].map((feed) => feed.close()));
    await this.client.dispose();
  }

  /** The server filters on one thing: the stream prefix when given, else the types, else it drops system events. */
  private serverFilter(
    wanted: EventFilter | undefined,
    checkpointReached: (position: { commit: bigint; prepare: bigint }) => Promise<void>,
  ): Filter {
    const common = {
      maxSearchWindow: this.checkpointWindow,
      checkpointInterval: 1,
      checkpointReached: (_: unknown, p: { commit: bigint; prepare: bigint }) => checkpointReached(p),
    };
    const expression = serverExpression(wanted);
    return expression.on === 'stream'
      ? streamNameFilter({ prefixes: expression.prefixes!, ...common })
      : eventTypeFilter({ regex: expression.regex!, ...common });
  }

  /** A stream the server says is not there may have been soft-deleted: its metadata then cuts it off at `$tb`. */
  private async explainMissing(error: unknown, streamId: string): Promise<unknown> {
    if (!(error instanceof Error) || error.name !== 'StreamNotFoundError') return error;
    try {
      const { metadata } = await this.client.getStreamMetadata(streamId);
      if (metadata?.truncateBefore !== undefined) return new StreamDeletedError(storeName, 'read', streamId, 'soft-deleted');
    } catch {
      // Metadata we cannot read (no access, or none) leaves the stream simply not found.
    }
    return error;
  }

  private async lastRevision(streamId: string): Promise<number | 'no-stream'> {
    try {
      for await (const event of this.readStream(streamId, { direction: 'backwards', maxCount: 1 })) return event.revision;
    } catch (error) {
      if (error instanceof Error && (error.name === 'StreamNotFoundError' || error.name === 'StreamDeletedError')) return 'no-stream';
      throw error;
    }
    return 'no-stream';
  }

  private async positionOf(streamId: string, revision: number): Promise<string> {
    for await (const event of this.readStream(streamId, { fromRevision: revision, maxCount: 1 })) return event.position;
    throw new MalformedEventError(streamId, revision, 'the append succeeded but its event cannot be read back');
  }

  private track(feed: SubscriptionFeed, fromEnd: boolean): SubscriptionFeed {
    this.feeds.add(feed);
    if (fromEnd) {
      const ready = feed.ready;
      this.confirming.add(ready);
      void ready.then(() => this.confirming.delete(ready));
    }
    return feed;
  }
}
