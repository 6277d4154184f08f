import esdb, { type AppendExpectedRevision, type Filter, type ResolvedEvent } from '@eventstore/db-client';
import { MalformedEventError } from '../errors.js';
import { checkEventsToAppend, matchesFilter } from '../events.js';
import type {
  AppendOptions, AppendResult, EventFilter, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, StoredEvent,
  SubscribeToAllOptions, SubscribeToStreamOptions, Subscription,
} from '../port.js';
import { isSystemEvent, toStoredEvent, translateError } from './convert.js';
import { SubscriptionFeed } from './feed.js';
import { formatPosition, parsePosition } from './positions.js';

const { EventStoreDBClient, jsonEvent, streamNameFilter, eventTypeFilter, excludeSystemEvents, START, END, ANY, NO_STREAM, FORWARDS, BACKWARDS } = esdb;

export interface EventStoreDbOptions {
  /** `esdb://host:2113?tls=false`, or a cluster connection string. */
  connectionString: string;
  /** Events a filtered `$all` subscription scans between two checkpoints. Default 32. */
  checkpointWindow?: number;
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

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The distributed event store: EventStoreDB / KurrentDB over gRPC. Event ids are passed through, so the server de-duplicates retries. */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: InstanceType<typeof EventStoreDBClient>;
  private readonly feeds = new Set<SubscriptionFeed>();
  private readonly checkpointWindow: number;

  /** Connects lazily: the first call opens the gRPC channel. */
  static connect(options: EventStoreDbOptions): EventStoreDbEventStore {
    return new EventStoreDbEventStore(options);
  }

  private constructor(options: EventStoreDbOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.checkpointWindow = options.checkpointWindow ?? 32;
  }

  async append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult> {
    checkEventsToAppend(streamId, events);
    if (events.length === 0) throw new RangeError(`stream ${streamId}: nothing to append (pass at least one event)`);
    const proposed = events.map((event) =>
      jsonEvent({ id: event.id.toLowerCase(), type: event.type, data: event.data as Record<string, never>, metadata: event.metadata }),
    );
    try {
      const result = await this.client.appendToStream(streamId, proposed, { expectedRevision: expectedRevisionFor(options.expectedRevision) });
      const nextExpectedRevision = Number(result.nextExpectedRevision);
      const position = result.position ? formatPosition(result.position) : await this.positionOf(streamId, nextExpectedRevision);
      return { nextExpectedRevision, position };
    } catch (error) {
      throw translateError(error, streamId, options.expectedRevision);
    }
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const backwards = options.direction === 'backwards';
    const read = this.client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision),
      maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
    });
    drainOnEarlyExit(read);
    try {
      for await (const resolved of read as AsyncIterable<ResolvedEvent>) yield toStoredEvent(resolved);
    } catch (error) {
      throw translateError(error, streamId);
    } finally {
      await read.cancel();
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    // This client sends no filter with readAll: filter here, and count only what passes.
    const read = this.client.readAll({
      direction: FORWARDS,
      fromPosition: options.fromPosition === undefined ? START : parsePosition(options.fromPosition),
    });
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    drainOnEarlyExit(read);
    try {
      for await (const resolved of read as AsyncIterable<ResolvedEvent>) {
        if (remaining <= 0) break;
        if (isSystemEvent(resolved) || !resolved.event || !matchesFilter(options.filter, resolved.event.streamId, resolved.event.type)) continue;
        remaining -= 1;
        yield toStoredEvent(resolved);
      }
    } finally {
      await read.cancel();
    }
  }

  subscribeToStream(streamId: string, options: SubscribeToStreamOptions = {}): Subscription {
    const from = options.from ?? 'start';
    const feed = this.track(new SubscriptionFeed(toStoredEvent, undefined, (done) => this.feeds.delete(done)));
    const fromRevision = from === 'start' ? START : from === 'end' ? END : BigInt(from.revision);
    return feed.attach(this.client.subscribeToStream(streamId, { fromRevision }));
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const from = options.from ?? 'start';
    const wanted = options.filter;
    const convert = (resolved: ResolvedEvent): StoredEvent | undefined =>
      isSystemEvent(resolved) || !resolved.event || !matchesFilter(wanted, resolved.event.streamId, resolved.event.type)
        ? undefined
        : toStoredEvent(resolved);
    const feed = this.track(new SubscriptionFeed(convert, options.onCheckpoint, (done) => this.feeds.delete(done)));
    const filter = this.serverFilter(wanted, (position) => feed.checkpointReached(formatPosition(position)));
    const fromPosition = from === 'start' ? START : from === 'end' ? END : parsePosition(from.position);
    return feed.attach(this.client.subscribeToAll({ fromPosition, filter }));
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
    const common = { maxSearchWindow: this.checkpointWindow, checkpointInterval: 1, checkpointReached: (_: unknown, p: { commit: bigint; prepare: bigint }) => checkpointReached(p) };
    if (wanted?.streamPrefix) return streamNameFilter({ prefixes: wanted.streamPrefix, ...common });
    if (wanted?.eventTypes) return eventTypeFilter({ regex: `^(?:${wanted.eventTypes.map(escapeRegex).join('|')})$`, ...common });
    return excludeSystemEvents(common);
  }

  private async positionOf(streamId: string, revision: number): Promise<string> {
    for await (const event of this.readStream(streamId, { fromRevision: revision, maxCount: 1 })) return event.position;
    throw new MalformedEventError(streamId, revision, 'the append succeeded but its event cannot be read back');
  }

  private track(feed: SubscriptionFeed): SubscriptionFeed {
    this.feeds.add(feed);
    return feed;
  }
}
