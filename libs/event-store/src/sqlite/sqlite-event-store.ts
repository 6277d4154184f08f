import { pagedIterable } from './paged.js';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuplicateEventIdError, StreamNotFoundError, WrongExpectedRevisionError } from '../errors.js';
import { checkEventsToAppend } from '../events.js';
import type {
  AppendOptions, AppendResult, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, StoredEvent,
  SubscribeToAllOptions, SubscribeToStreamOptions, Subscription,
} from '../port.js';
import { AppendSignal, PollingSubscription, allPages, streamPages, type FollowContext } from './follow.js';
import { filteredAllQuery, parsePosition, toStoredEvent } from './rows.js';
import { prepareDatabase, type EventRow, type SqliteDurability } from './schema.js';

export interface SqliteEventStoreOptions {
  /** The database file; its directory is created. */
  path: string;
  /** Default `full`. See the README for what a crash can lose under each. */
  durability?: SqliteDurability;
  /** How long an append waits for another process's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** How often a caught-up subscription checks for other processes' commits. Default 100 ms. */
  pollIntervalMs?: number;
  /** Rows fetched per query when reading or catching up. Default 512. */
  batchSize?: number;
}

type Located = { stream_id: string; revision: number; position: number };

function isEventIdConflict(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === 'SQLITE_CONSTRAINT_UNIQUE' && (e.message ?? '').includes('events.event_id');
}

/** The embedded event store: one SQLite file in WAL mode, safe for several processes. */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly follow: FollowContext;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly head: Database.Statement<[string], { revision: number | null }>;
  private readonly insert: Database.Statement<[string, number, string, string, string, string, number]>;
  private readonly locate: Database.Statement<[string], Located>;
  private readonly writeBatch: Database.Transaction<(streamId: string, events: EventToAppend[], options: AppendOptions) => AppendResult | { actual: number }>;

  /** Opens (creating when missing) the store at `options.path`. */
  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    return new SqliteEventStore(options);
  }

  private constructor(options: SqliteEventStoreOptions) {
    this.db = new Database(options.path);
    prepareDatabase(this.db, options.durability ?? 'full', options.busyTimeoutMs ?? 5000);
    this.follow = { db: this.db, signal: new AppendSignal(), pollIntervalMs: options.pollIntervalMs ?? 100, batchSize: options.batchSize ?? 512 };
    this.head = this.db.prepare('SELECT max(revision) AS revision FROM events WHERE stream_id = ?');
    this.insert = this.db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.locate = this.db.prepare('SELECT stream_id, revision, position FROM events WHERE event_id = ?');
    this.writeBatch = this.db.transaction((streamId, events, { expectedRevision }) => {
      const current = this.head.get(streamId)?.revision ?? -1;
      const expected = expectedRevision === 'no-stream' ? -1 : expectedRevision;
      if (expected !== 'any' && expected !== current) return { actual: current };
      const now = Date.now();
      let position = 0;
      let revision = current;
      for (const event of events) {
        revision += 1;
        const info = this.insert.run(
          streamId, revision, event.id.toLowerCase(), event.type, JSON.stringify(event.data), JSON.stringify(event.metadata), now,
        );
        position = Number(info.lastInsertRowid);
      }
      return { nextExpectedRevision: revision, position: String(position) };
    });
  }

  async append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult> {
    checkEventsToAppend(streamId, events);
    if (events.length === 0) throw new RangeError(`stream ${streamId}: nothing to append (pass at least one event)`);
    let outcome: AppendResult | { actual: number };
    try {
      // IMMEDIATE takes the write lock up front, so the revision check and the inserts see one state across processes.
      outcome = this.writeBatch.immediate(streamId, events, options);
    } catch (error) {
      if (!isEventIdConflict(error)) throw error;
      const retried = this.earlierWrite(streamId, events);
      if (retried) return retried;
      throw error;
    }
    if ('actual' in outcome) {
      const retried = this.earlierWrite(streamId, events);
      if (retried) return retried;
      throw new WrongExpectedRevisionError(streamId, options.expectedRevision, outcome.actual === -1 ? 'no-stream' : outcome.actual);
    }
    this.follow.signal.notify();
    return outcome;
  }

  /** The result of the earlier write when `events` is an exact retry of it; null when none of the ids is stored. */
  private earlierWrite(streamId: string, events: EventToAppend[]): AppendResult | null {
    const found = events.map((event) => this.locate.get(event.id.toLowerCase()));
    if (found.every((row) => row === undefined)) return null;
    const first = found[0];
    for (const [index, row] of found.entries()) {
      const exact = first !== undefined && row !== undefined && row.stream_id === streamId && row.revision === first.revision + index;
      if (!exact) {
        const clash = row ?? found.find((other) => other !== undefined)!;
        throw new DuplicateEventIdError(streamId, events[found.indexOf(clash)]!.id, clash.stream_id, clash.revision);
      }
    }
    const last = found[found.length - 1]!;
    return { nextExpectedRevision: last.revision, position: String(last.position) };
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    return pagedIterable(() => this.streamPages(streamId, options), toStoredEvent);
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    return pagedIterable(() => this.allPages(options), toStoredEvent);
  }

  private *streamPages(streamId: string, options: ReadStreamOptions): Generator<EventRow[]> {
    const backwards = options.direction === 'backwards';
    const select = this.db.prepare<[string, number, number], EventRow>(
      backwards
        ? 'SELECT * FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?'
        : 'SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
    );
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    let from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    let first = true;
    while (remaining > 0) {
      const rows = select.all(streamId, from, Math.min(remaining, this.follow.batchSize));
      if (first && rows.length === 0 && this.head.get(streamId)?.revision == null) throw new StreamNotFoundError(streamId);
      first = false;
      yield rows;
      if (rows.length < Math.min(remaining, this.follow.batchSize)) return;
      remaining -= rows.length;
      from = rows[rows.length - 1]!.revision + (backwards ? -1 : 1);
    }
  }

  private *allPages(options: ReadAllOptions): Generator<EventRow[]> {
    const query = filteredAllQuery(options.filter, '>=');
    const select = this.db.prepare<unknown[], EventRow>(query.sql);
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    let from = options.fromPosition === undefined ? 0 : parsePosition(options.fromPosition);
    while (remaining > 0) {
      const limit = Math.min(remaining, this.follow.batchSize);
      const rows = select.all(...query.bind(from, Number.MAX_SAFE_INTEGER, limit));
      yield rows;
      if (rows.length < limit) return;
      remaining -= rows.length;
      from = rows[rows.length - 1]!.position + 1;
    }
  }

  subscribeToStream(streamId: string, options: SubscribeToStreamOptions = {}): Subscription {
    const from = options.from ?? 'start';
    const after = from === 'start' ? -1 : from === 'end' ? (this.head.get(streamId)?.revision ?? -1) : from.revision;
    return this.track(new PollingSubscription(this.follow, streamPages(this.db, streamId, after), (s) => this.subscriptions.delete(s)));
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const from = options.from ?? 'start';
    const after =
      from === 'start'
        ? 0
        : from === 'end'
          ? (this.db.prepare<[], { head: number | null }>('SELECT max(position) AS head FROM events').get()?.head ?? 0)
          : parsePosition(from.position);
    const pages = allPages(this.db, options.filter, after);
    return this.track(new PollingSubscription(this.follow, pages, (s) => this.subscriptions.delete(s), options.onCheckpoint));
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.subscriptions.clear();
    if (this.db.open) this.db.close();
  }

  private track(subscription: PollingSubscription): PollingSubscription {
    this.subscriptions.add(subscription);
    return subscription;
  }
}
