import { randomUUID } from 'node:crypto';

/** One event as the test-only server keeps it: raw bytes, like EventStoreDB's log. */
export interface LogRecord {
  streamId: string;
  revision: bigint;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  /** 100 ns ticks since the Unix epoch, as the gRPC API reports `created`. */
  created: bigint;
  commit: bigint;
  prepare: bigint;
}

export type ProposedEvent = Pick<LogRecord, 'id' | 'type' | 'contentType' | 'data' | 'metadata'>;

/** `no-stream`, `any`, `stream-exists` or the exact revision of the last event. */
export type Expectation = 'no-stream' | 'any' | 'stream-exists' | bigint;

export type AppendOutcome =
  | { ok: true; revision: bigint; commit: bigint; prepare: bigint }
  | { ok: false; problem: 'wrong-expected-version'; current: bigint | 'no-stream' }
  | { ok: false; problem: 'stream-deleted' }
  | { ok: false; problem: 'too-large'; maxAppendSize: number };

/** What a read of one stream finds: its visible records, or that it was tombstoned. */
export type StreamView = { deleted: true } | { deleted: false; records: LogRecord[] };

/** EventStoreDB's default maximum append size (MaxAppendSize): 1 MiB. */
export const defaultMaxAppendSize = 1024 * 1024;
/** `$tb` of a soft-deleted stream (EventStoreDB's DeletedStream marker). */
const softDeleted = 9223372036854775807n;
/** How many recent event ids the server remembers to de-duplicate `any` retries (a bounded cache, empty after a restart). */
const recentIdCapacity = 10_000;

interface StreamMetadata {
  maxCount?: number;
  truncateBefore?: bigint;
}

export interface LogOptions {
  /** The largest append accepted, in bytes of data, metadata, ids and types (default 1 MiB). */
  maxAppendSize?: number;
  /** Writes `$`-typed system events and the by-category projection's link events (`$>` in `$ce-<category>`) into `$all`. */
  systemEvents?: boolean;
}

/**
 * The in-memory `$all` log: global order, per-stream revisions, stream metadata (`$maxCount`, `$tb`) read from
 * `$$<stream>`, soft deletes and tombstones, the by-category projection's link events, a bounded cache of recent
 * event ids (what de-duplicates `any` retries; a restart empties it), and listeners for live subscriptions.
 */
export class InMemoryLog {
  readonly records: LogRecord[] = [];
  readonly maxAppendSize: number;
  private readonly systemEvents: boolean;
  private readonly streams = new Map<string, LogRecord[]>();
  private readonly tombstoned = new Set<string>();
  private readonly listeners = new Set<(record: LogRecord) => void>();
  private recentIds = new Map<string, LogRecord>();
  // Positions are byte offsets in EventStoreDB: increasing, not contiguous, and $all never starts at 0.
  private nextPosition = 4096n;

  constructor(options: LogOptions = {}) {
    this.maxAppendSize = options.maxAppendSize ?? defaultMaxAppendSize;
    this.systemEvents = options.systemEvents ?? true;
    if (this.systemEvents) this.writeSystem('$stats-127.0.0.1:2113', '$statsCollected', { 'proc-startTime': new Date().toISOString() });
  }

  /** Every record of one stream ever written, in revision order, including those truncated away (empty when none). */
  stream(streamId: string): LogRecord[] {
    return this.streams.get(streamId) ?? [];
  }

  /** What a reader of `streamId` sees: tombstoned, or the records `$maxCount` and `$tb` leave. */
  view(streamId: string): StreamView {
    if (this.tombstoned.has(streamId)) return { deleted: true };
    const all = this.stream(streamId);
    const from = this.visibleFrom(streamId, all);
    return { deleted: false, records: from === 0n ? all : all.filter((r) => r.revision >= from) };
  }

  isTombstoned(streamId: string): boolean {
    return this.tombstoned.has(streamId);
  }

  /** The size EventStoreDB counts against MaxAppendSize: data, metadata, id and type of every event. */
  static sizeOf(events: ProposedEvent[]): number {
    return events.reduce((sum, e) => sum + e.data.length + e.metadata.length + e.id.length + e.type.length, 0);
  }

  /**
   * Appends like EventStoreDB: an exact retry (same ids at the same place) succeeds again without writing; a retry
   * that only partly matches is a wrong expected version; `any` retries are recognised through the recent-ids cache.
   */
  append(streamId: string, events: ProposedEvent[], expected: Expectation): AppendOutcome {
    if (this.tombstoned.has(streamId)) return { ok: false, problem: 'stream-deleted' };
    if (InMemoryLog.sizeOf(events) > this.maxAppendSize) return { ok: false, problem: 'too-large', maxAppendSize: this.maxAppendSize };
    const existing = this.stream(streamId);
    const deleted = this.metadataOf(streamId).truncateBefore === softDeleted;
    const current = existing.length === 0 || deleted ? ('no-stream' as const) : existing[existing.length - 1]!.revision;
    const retry = this.retryOf(existing, events, expected);
    if (retry === 'partial') return { ok: false, problem: 'wrong-expected-version', current };
    if (retry) return { ok: true, revision: retry.revision, commit: retry.commit, prepare: retry.prepare };
    const fits =
      expected === 'any' ||
      (expected === 'no-stream' && current === 'no-stream') ||
      (expected === 'stream-exists' && current !== 'no-stream') ||
      (typeof expected === 'bigint' && current === expected);
    if (!fits) return { ok: false, problem: 'wrong-expected-version', current };
    if (events.length === 0) return { ok: true, revision: current === 'no-stream' ? -1n : current, commit: this.nextPosition, prepare: this.nextPosition };
    // A soft-deleted stream written again comes back with its old revisions cut off at $tb.
    if (deleted) this.setMetadata(streamId, { ...this.rawMetadata(streamId), $tb: existing.length });
    // One transaction: its events share the commit position, each has its own prepare position.
    const commit = this.nextPosition;
    let last: LogRecord | undefined;
    for (const event of events) last = this.write(streamId, event, commit);
    if (this.systemEvents && !streamId.startsWith('$')) this.project(streamId, events.length, last!.revision);
    return { ok: true, revision: last!.revision, commit: last!.commit, prepare: last!.prepare };
  }

  /** Writes one record as-is (tests use it to plant what a correct client would never write). */
  write(streamId: string, event: ProposedEvent, commit?: bigint): LogRecord {
    const stream = this.streams.get(streamId) ?? [];
    const record = this.place(streamId, BigInt(stream.length), event, commit);
    stream.push(record);
    this.streams.set(streamId, stream);
    return this.publish(record);
  }

  private place(streamId: string, revision: bigint, event: ProposedEvent, commit?: bigint): LogRecord {
    const prepare = this.nextPosition;
    this.nextPosition += 128n + BigInt(event.data.length + event.metadata.length);
    return { ...event, streamId, revision, created: BigInt(Date.now()) * 10_000n, commit: commit ?? prepare, prepare };
  }

  private publish(record: LogRecord): LogRecord {
    this.records.push(record);
    this.remember(record);
    for (const listener of this.listeners) listener(record);
    return record;
  }

  /** Writes a raw record at the end of `streamId` and returns its revision. */
  injectRaw(streamId: string, raw: Partial<ProposedEvent> & { data: Uint8Array }): bigint {
    return this.write(streamId, { id: randomUUID(), type: 'Corrupt', contentType: 'application/json', metadata: new Uint8Array(), ...raw })
      .revision;
  }

  /** Sets a stream's metadata as a client would: a `$metadata` event in `$$<stream>`. */
  setMetadata(streamId: string, metadata: Record<string, unknown>): void {
    this.write(`$$${streamId}`, {
      id: randomUUID(),
      type: '$metadata',
      contentType: 'application/json',
      data: Buffer.from(JSON.stringify(metadata), 'utf8'),
      metadata: new Uint8Array(),
    });
  }

  /** Soft delete: `$tb` set past every revision, so the stream reads as not found and may be written again. */
  softDelete(streamId: string, expected: Expectation): AppendOutcome {
    const check = this.checkDelete(streamId, expected);
    if (check) return check;
    this.setMetadata(streamId, { ...this.rawMetadata(streamId), $tb: Number(softDeleted) });
    const last = this.records[this.records.length - 1]!;
    return { ok: true, revision: -1n, commit: last.commit, prepare: last.prepare };
  }

  /** Hard delete: the stream is gone for good; a `$streamDeleted` record marks it in `$all`. */
  tombstone(streamId: string, expected: Expectation): AppendOutcome {
    const check = this.checkDelete(streamId, expected);
    if (check) return check;
    const record = this.writeSystem(streamId, '$streamDeleted', {});
    this.tombstoned.add(streamId);
    return { ok: true, revision: -1n, commit: record.commit, prepare: record.prepare };
  }

  /** What a server restart loses: the recent-ids cache (so an `any` retry is written again). */
  forgetRecentIds(): void {
    this.recentIds = new Map();
  }

  /** Calls `listener` for every record written from now on; returns the unsubscribe function. */
  onWrite(listener: (record: LogRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private checkDelete(streamId: string, expected: Expectation): AppendOutcome | undefined {
    if (this.tombstoned.has(streamId)) return { ok: false, problem: 'stream-deleted' };
    const existing = this.stream(streamId);
    const current = existing.length === 0 ? ('no-stream' as const) : existing[existing.length - 1]!.revision;
    const fits =
      expected === 'any' ||
      (expected === 'no-stream' && current === 'no-stream') ||
      (expected === 'stream-exists' && current !== 'no-stream') ||
      (typeof expected === 'bigint' && current === expected);
    return fits ? undefined : { ok: false, problem: 'wrong-expected-version', current };
  }

  private writeSystem(streamId: string, type: string, data: Record<string, unknown>): LogRecord {
    const event = { id: randomUUID(), type, contentType: 'application/json', data: Buffer.from(JSON.stringify(data), 'utf8'), metadata: new Uint8Array() };
    if (type !== '$streamDeleted') return this.write(streamId, event);
    // The tombstone is in $all but not one of the stream's revisions (EventStoreDB gives it revision long.MaxValue).
    return this.publish(this.place(streamId, softDeleted, event));
  }

  /** The by-category projection: a link event (`$>`, body `revision@stream`, not JSON) per event, in `$ce-<category>`. */
  private project(streamId: string, count: number, lastRevision: bigint): void {
    const category = streamId.split('-')[0]!;
    for (let revision = lastRevision - BigInt(count) + 1n; revision <= lastRevision; revision += 1n) {
      this.write(`$ce-${category}`, {
        id: randomUUID(),
        type: '$>',
        contentType: 'application/octet-stream',
        data: Buffer.from(`${revision}@${streamId}`, 'utf8'),
        metadata: new Uint8Array(),
      });
    }
  }

  private remember(record: LogRecord): void {
    this.recentIds.set(record.id, record);
    if (this.recentIds.size > recentIdCapacity) this.recentIds.delete(this.recentIds.keys().next().value!);
  }

  private retryOf(existing: LogRecord[], events: ProposedEvent[], expected: Expectation): LogRecord | 'partial' | undefined {
    if (events.length === 0) return undefined;
    if (expected === 'no-stream' || typeof expected === 'bigint') {
      // Only where the batch would have gone: the events after the expected revision.
      const start = expected === 'no-stream' ? 0 : Number(expected) + 1;
      if (start >= existing.length || existing[start]!.id !== events[0]!.id) return undefined;
      const matches = start + events.length <= existing.length && events.every((event, i) => existing[start + i]!.id === event.id);
      return matches ? existing[start + events.length - 1] : 'partial';
    }
    // `any` and `stream-exists`: only what the recent-ids cache still holds.
    const found = events.map((event) => this.recentIds.get(event.id));
    if (found.every((record) => record === undefined)) return undefined;
    const first = found[0];
    const exact =
      first !== undefined &&
      found.every((record, i) => record !== undefined && record.streamId === first.streamId && record.revision === first.revision + BigInt(i)) &&
      existing.includes(first);
    return exact ? found[found.length - 1] : 'partial';
  }

  private rawMetadata(streamId: string): Record<string, unknown> {
    const records = this.stream(`$$${streamId}`);
    const last = records[records.length - 1];
    if (!last) return {};
    try {
      return JSON.parse(Buffer.from(last.data).toString('utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  }

  private metadataOf(streamId: string): StreamMetadata {
    const raw = this.rawMetadata(streamId);
    return {
      maxCount: typeof raw['$maxCount'] === 'number' ? raw['$maxCount'] : undefined,
      truncateBefore: typeof raw['$tb'] === 'number' ? (raw['$tb'] >= Number(softDeleted) ? softDeleted : BigInt(raw['$tb'])) : undefined,
    };
  }

  private visibleFrom(streamId: string, all: LogRecord[]): bigint {
    if (streamId.startsWith('$$')) return 0n;
    const { maxCount, truncateBefore } = this.metadataOf(streamId);
    let from = truncateBefore ?? 0n;
    if (maxCount !== undefined && all.length > 0) {
      const byCount = all[all.length - 1]!.revision + 1n - BigInt(maxCount);
      if (byCount > from) from = byCount;
    }
    return from;
  }
}
