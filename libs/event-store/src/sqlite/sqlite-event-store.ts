import { pagedIterable } from './paged.js';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DuplicateEventIdError, StoreLocationError, StoreNotFoundError, StreamIntegrityError, StreamNotFoundError, WrongExpectedRevisionError,
} from '../errors.js';
import { checkEventsToAppend } from '../events.js';
import { LogRevisionCheck, RevisionSequence } from '../integrity.js';
import type {
  AppendOptions, AppendResult, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, StoredEvent,
  SubscribeToAllOptions, SubscribeToStreamOptions, Subscription,
} from '../port.js';
import { AppendSignal, PollingSubscription, allPages, streamPages, type FollowContext } from './follow.js';
import { filteredAllQuery, parsePosition, toStoredEvent } from './rows.js';
import { prepareDatabase, type EventRow, type SqliteDurability } from './schema.js';

export interface SqliteEventStoreOptions {
  /** The database file; its directory is created (unless `mustExist`). */
  path: string;
  /**
   * For readers: the file must already be a hypotree log. A missing file (or folder) is a StoreNotFoundError
   * and nothing is created. Default false: the file and its folders are created.
   */
  mustExist?: boolean;
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
  private readonly countAfter: Database.Statement<[string, number], { n: number; lo: number | null }>;
  /** Per stream, the revision up to which this connection has seen it contiguous from 0 (checked once, then only what is new). */
  private readonly contiguousUpTo = new Map<string, number>();
  private readonly writeBatch: Database.Transaction<(streamId: string, events: EventToAppend[], options: AppendOptions) => AppendResult | { actual: number }>;

  /** Opens (creating when missing, unless `mustExist`) the store at `options.path`. */
  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    if (options.path !== ':memory:') {
      if (options.mustExist) assertLogFile(options.path);
      else createFolders(options.path);
    }
    return new SqliteEventStore(options);
  }

  private constructor(options: SqliteEventStoreOptions) {
    try {
      this.db = new Database(options.path, { fileMustExist: options.mustExist ?? false });
    } catch (error) {
      throw new StoreLocationError(options.path, (error as Error).message);
    }
    try {
      if (options.mustExist && options.path !== ':memory:' && !hasEventsTable(this.db)) {
        throw new StoreLocationError(options.path, 'the file is not a hypotree event log (it has no events table)');
      }
      prepareDatabase(this.db, options.durability ?? 'full', options.busyTimeoutMs ?? 5000);
    } catch (error) {
      this.db.close();
      if (error instanceof StoreLocationError) throw error;
      throw new StoreLocationError(options.path, (error as Error).message);
    }
    this.follow = { db: this.db, signal: new AppendSignal(), pollIntervalMs: options.pollIntervalMs ?? 100, batchSize: options.batchSize ?? 512 };
    this.head = this.db.prepare('SELECT max(revision) AS revision FROM events WHERE stream_id = ?');
    this.insert = this.db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.locate = this.db.prepare('SELECT stream_id, revision, position FROM events WHERE event_id = ?');
    this.countAfter = this.db.prepare('SELECT count(*) AS n, min(revision) AS lo FROM events WHERE stream_id = ? AND revision > ?');
    this.writeBatch = this.db.transaction((streamId, events, { expectedRevision }) => {
      const current = this.head.get(streamId)?.revision ?? -1;
      // Never append on top of a hole: the stream must run 0…current before it grows.
      this.assertContiguous(streamId, current);
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
    this.contiguousUpTo.set(streamId, outcome.nextExpectedRevision);
    this.follow.signal.notify();
    return outcome;
  }

  /** Throws StreamIntegrityError at the first missing revision when the stream's revisions are not 0…head. */
  private assertContiguous(streamId: string, head: number): void {
    let known = this.contiguousUpTo.get(streamId) ?? -1;
    if (known > head) known = -1; // the stream lost events this connection saw: check it all again
    if (head <= known) return;
    const { n, lo } = this.countAfter.get(streamId, known)!;
    if (n === head - known && lo === known + 1) {
      this.contiguousUpTo.set(streamId, head);
      return;
    }
    const sequence = new RevisionSequence(streamId);
    for (const row of this.db.prepare<[string], { revision: number }>('SELECT revision FROM events WHERE stream_id = ? ORDER BY revision').iterate(streamId)) {
      sequence.check(row.revision);
    }
    throw StreamIntegrityError.gap(streamId, sequence.expected, null);
  }

  /** The streams whose ids start with `prefix`, in the order they were created; reads no event body. */
  async listStreams(prefix = ''): Promise<string[]> {
    const rows = this.db
      .prepare<[number, string], { stream_id: string }>(
        'SELECT stream_id, min(position) AS first FROM events WHERE substr(stream_id, 1, ?) = ? GROUP BY stream_id ORDER BY first',
      )
      .all(prefix.length, prefix);
    return rows.map((row) => row.stream_id);
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
    return pagedIterable(() => {
      const check = new StreamReadCheck(streamId, options, () => this.head.get(streamId)?.revision ?? -1);
      return {
        pages: this.streamPages(streamId, options),
        convert: (row: EventRow) => check.row(toStoredEvent(row), row.position),
        atEnd: () => check.end(),
      };
    });
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    return pagedIterable(() => {
      const from = options.fromPosition === undefined ? 0 : parsePosition(options.fromPosition);
      const fromStart = this.db.prepare<[number], { one: number }>('SELECT 1 AS one FROM events WHERE position < ? LIMIT 1').get(from) === undefined;
      const check = new LogRevisionCheck(fromStart, options.filter?.eventTypes === undefined);
      return {
        pages: this.allPages(options),
        convert: (row: EventRow) => {
          const event = toStoredEvent(row);
          check.check(event.streamId, event.revision);
          return event;
        },
      };
    });
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

/**
 * Checks one readStream iteration: forwards, revisions run on from `fromRevision` (default 0) one by one;
 * backwards, down to 0 (unless `maxCount` stops the read first); and each was written after the one before it.
 */
class StreamReadCheck {
  private readonly backwards: boolean;
  private sequence: RevisionSequence | undefined;
  private lastPosition: number | undefined;
  private delivered = 0;

  constructor(
    private readonly streamId: string,
    private readonly options: ReadStreamOptions,
    private readonly head: () => number,
  ) {
    this.backwards = options.direction === 'backwards';
    if (!this.backwards) this.sequence = new RevisionSequence(streamId, Math.max(0, options.fromRevision ?? 0));
  }

  row(event: StoredEvent, position: number): StoredEvent {
    if (!this.sequence) this.sequence = new RevisionSequence(this.streamId, this.firstBackwards(event.revision), -1);
    this.sequence.check(event.revision);
    if (this.lastPosition !== undefined && (this.backwards ? position > this.lastPosition : position < this.lastPosition)) {
      const previous = event.revision + (this.backwards ? 1 : -1);
      throw StreamIntegrityError.outOfOrder(this.streamId, event.revision, previous, this.backwards ? 'was stored after' : 'was stored before');
    }
    this.lastPosition = position;
    this.delivered += 1;
    return event;
  }

  end(): void {
    if (!this.backwards || this.delivered >= (this.options.maxCount ?? Number.MAX_SAFE_INTEGER)) return;
    const from = this.options.fromRevision ?? Number.MAX_SAFE_INTEGER;
    if (from < 0) return;
    // A full backwards read ends at revision 0.
    const missing = this.sequence?.expected ?? Math.min(from, this.head());
    if (missing >= 0) throw StreamIntegrityError.gap(this.streamId, missing, null);
  }

  /** Where a backwards read must start: `fromRevision`, or the head when the stream ends before it. */
  private firstBackwards(found: number): number {
    const from = this.options.fromRevision;
    if (from === undefined || found === from) return found;
    const head = this.head();
    return head < from ? head : from;
  }
}

/**
 * Creates the folders above a new log file one level at a time. (Node's recursive mkdir loops forever
 * under /proc, where mkdir answers ENOENT for a parent that exists: a clear error instead.)
 */
function createFolders(file: string): void {
  const missing: string[] = [];
  let folder = dirname(file);
  while (!existsSync(folder)) {
    missing.unshift(folder);
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  if (existsSync(folder) && !statSync(folder).isDirectory()) throw new StoreLocationError(file, `${folder} is not a folder`);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'EEXIST' && statSync(dir).isDirectory()) continue;
      throw new StoreLocationError(file, `cannot create the folder ${dir} (${e.code ?? e.message})`);
    }
  }
}

/** A reader's log must be there already: reading never creates one. */
function assertLogFile(file: string): void {
  if (existsSync(file)) {
    if (!statSync(file).isFile()) throw new StoreLocationError(file, 'it is not a file');
    return;
  }
  const folder = dirname(file);
  throw new StoreNotFoundError(file, existsSync(folder) ? 'the file does not exist' : `the folder ${folder} does not exist`);
}

function hasEventsTable(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() !== undefined;
}
