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
  | { ok: false; current: bigint | 'no-stream' };

/** The in-memory `$all` log: global order, per-stream revisions, and listeners for live subscriptions. */
export class InMemoryLog {
  readonly records: LogRecord[] = [];
  private readonly streams = new Map<string, LogRecord[]>();
  private readonly listeners = new Set<(record: LogRecord) => void>();
  // Positions are byte offsets in EventStoreDB: increasing, not contiguous, and $all never starts at 0.
  private nextPosition = 4096n;

  /** The events of one stream, in revision order (empty when it does not exist). */
  stream(streamId: string): LogRecord[] {
    return this.streams.get(streamId) ?? [];
  }

  /** Appends like EventStoreDB: an exact retry (same ids at the same place) succeeds again without writing. */
  append(streamId: string, events: ProposedEvent[], expected: Expectation): AppendOutcome {
    const existing = this.stream(streamId);
    const current = existing.length === 0 ? ('no-stream' as const) : BigInt(existing.length - 1);
    const retried = this.earlierWrite(existing, events, expected);
    if (retried) return { ok: true, revision: retried.revision, commit: retried.commit, prepare: retried.prepare };
    const fits =
      expected === 'any' ||
      (expected === 'no-stream' && current === 'no-stream') ||
      (expected === 'stream-exists' && current !== 'no-stream') ||
      (typeof expected === 'bigint' && current === expected);
    if (!fits) return { ok: false, current };
    let last: LogRecord | undefined;
    for (const event of events) last = this.write(streamId, event);
    if (!last) return { ok: true, revision: current === 'no-stream' ? -1n : current, commit: this.nextPosition, prepare: this.nextPosition };
    return { ok: true, revision: last.revision, commit: last.commit, prepare: last.prepare };
  }

  /** Writes one record as-is (tests use it to plant what a correct client would never write). */
  write(streamId: string, event: ProposedEvent): LogRecord {
    const stream = this.streams.get(streamId) ?? [];
    const position = this.nextPosition;
    this.nextPosition += 128n + BigInt(event.data.length + event.metadata.length);
    const record: LogRecord = {
      ...event,
      streamId,
      revision: BigInt(stream.length),
      created: BigInt(Date.now()) * 10_000n,
      commit: position,
      prepare: position,
    };
    stream.push(record);
    this.streams.set(streamId, stream);
    this.records.push(record);
    for (const listener of this.listeners) listener(record);
    return record;
  }

  /** Writes a raw record at the end of `streamId` and returns its revision. */
  injectRaw(streamId: string, raw: Partial<ProposedEvent> & { data: Uint8Array }): bigint {
    return this.write(streamId, { id: randomUUID(), type: 'Corrupt', contentType: 'application/json', metadata: new Uint8Array(), ...raw })
      .revision;
  }

  /** Calls `listener` for every record written from now on; returns the unsubscribe function. */
  onWrite(listener: (record: LogRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private earlierWrite(existing: LogRecord[], events: ProposedEvent[], expected: Expectation): LogRecord | undefined {
    if (events.length === 0) return undefined;
    const start =
      expected === 'no-stream' ? 0 : typeof expected === 'bigint' ? Number(expected) + 1 : existing.findIndex((r) => r.id === events[0]!.id);
    if (start < 0 || start + events.length > existing.length) return undefined;
    const matches = events.every((event, index) => existing[start + index]!.id === event.id);
    return matches ? existing[start + events.length - 1] : undefined;
  }
}
