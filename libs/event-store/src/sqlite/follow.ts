import type Database from 'better-sqlite3';
import { StreamIntegrityError } from '../errors.js';
import type { EventFilter, StoredEvent, Subscription } from '../port.js';
import { filteredAllQuery, toStoredEvent } from './rows.js';
import type { EventRow } from './schema.js';

/** Wakes waiting followers early when this process appends; otherwise they wake on their poll interval. */
export class AppendSignal {
  private readonly waiters = new Set<() => void>();
  /** Counts notifications, so a follower can tell whether an append happened while it was querying. */
  generation = 0;

  /** Wakes every waiter now. */
  notify(): void {
    this.generation += 1;
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves on the next notify or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}

/** One page of a follower's query; `caughtUp` when it reached the head of the log. */
export interface Page {
  rows: EventRow[];
  caughtUp: boolean;
  /** Set when a filtered page scanned past events it did not return: report it after the rows. */
  checkpoint?: string;
  /** What is wrong with the row after `rows` (a revision gap): thrown once the rows before it are delivered. */
  error?: Error;
}

/** What a follower needs from the store that owns the connection. */
export interface FollowContext {
  db: Database.Database;
  signal: AppendSignal;
  pollIntervalMs: number;
  batchSize: number;
}

/** A subscription that pages through the table and, once caught up, waits for this process's appends or another process's commits. */
export class PollingSubscription implements Subscription {
  private closed = false;
  private started = false;

  constructor(
    private readonly context: FollowContext,
    private readonly nextPage: (limit: number) => Page,
    private readonly onClose: (subscription: PollingSubscription) => void,
    private readonly onCheckpoint?: (position: string) => void | Promise<void>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.started) throw new Error('a subscription can be iterated only once; subscribe again to read again');
    this.started = true;
    const { db, signal, pollIntervalMs, batchSize } = this.context;
    try {
      while (!this.closed && db.open) {
        const generation = signal.generation;
        const dataVersion = db.pragma('data_version', { simple: true }) as number;
        const page = this.nextPage(batchSize);
        for (const row of page.rows) {
          if (this.closed) return;
          yield toStoredEvent(row);
        }
        if (page.error) throw page.error;
        if (page.checkpoint !== undefined && this.onCheckpoint && !this.closed) await this.onCheckpoint(page.checkpoint);
        if (!page.caughtUp) continue;
        // data_version changes only when another connection commits; our own appends bump the signal instead.
        while (!this.closed && signal.generation === generation) {
          if (!db.open) return;
          if ((db.pragma('data_version', { simple: true }) as number) !== dataVersion) break;
          await signal.wait(pollIntervalMs);
        }
      }
    } finally {
      this.onClose(this);
    }
  }

  /** Ends the iteration at the next event boundary. */
  async close(): Promise<void> {
    this.closed = true;
    this.context.signal.notify();
  }
}

/** Pages of `$all` after `after` (exclusive) passing `filter`; reports a checkpoint when a filtered page skipped events. */
export function allPages(
  db: Database.Database,
  filter: EventFilter | undefined,
  after: number,
): (limit: number) => Page {
  const query = filteredAllQuery(filter, '>');
  const select = db.prepare<unknown[], EventRow>(query.sql);
  const head = db.prepare<[], { head: number | null }>('SELECT max(position) AS head FROM events');
  return (limit) => {
    // Bound the page by the head read first, so a commit landing between the two queries is never skipped past.
    const to = head.get()?.head ?? 0;
    const rows = select.all(...query.bind(after, to, limit));
    if (rows.length > 0) after = rows[rows.length - 1]!.position;
    const caughtUp = rows.length < limit;
    if (caughtUp && filter && to > after) {
      after = to;
      return { rows, caughtUp, checkpoint: String(to) };
    }
    return { rows, caughtUp };
  };
}

/** Pages of one stream after revision `after` (exclusive; -1 for the start); a revision that skips one ends the pages with the gap. */
export function streamPages(db: Database.Database, streamId: string, after: number): (limit: number) => Page {
  const select = db.prepare<[string, number, number], EventRow>(
    'SELECT * FROM events WHERE stream_id = ? AND revision > ? ORDER BY revision LIMIT ?',
  );
  return (limit) => {
    const rows = select.all(streamId, after, limit);
    const gap = rows.findIndex((row, i) => row.revision !== after + 1 + i);
    if (gap >= 0) return { rows: rows.slice(0, gap), caughtUp: false, error: StreamIntegrityError.gap(streamId, after + 1 + gap, rows[gap]!.revision) };
    if (rows.length > 0) after = rows[rows.length - 1]!.revision;
    return { rows, caughtUp: rows.length < limit };
  };
}
