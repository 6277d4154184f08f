/** An event ready to append. `id` is a UUID; make it deterministic where a write may be retried. */
export interface EventToAppend {
  id: string;
  type: string;
  /** A JSON object. */
  data: unknown;
  /** A JSON object; carries `$correlationId` and `$causationId`. */
  metadata: Record<string, unknown>;
}

/** An event as the store hands it back. `position` is opaque: store it, pass it back, never parse it. */
export interface StoredEvent {
  streamId: string;
  revision: number;
  position: string;
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: Date;
}

/** `no-stream`: the stream must not exist; `any`: no check; a number: the revision of the stream's last event. */
export type ExpectedRevision = 'no-stream' | 'any' | number;

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
}

/** What an append (or its idempotent retry) wrote: the revision to expect next and the position of its last event. */
export interface AppendResult {
  nextExpectedRevision: number;
  position: string;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  direction?: Direction;
  /** Inclusive. Defaults to the first event (forwards) or the last (backwards). */
  fromRevision?: number;
  maxCount?: number;
}

/** Keeps an event when its stream starts with one of `streamPrefix` and its type is one of `eventTypes` (each check only when given). */
export interface EventFilter {
  streamPrefix?: string[];
  eventTypes?: string[];
}

export interface ReadAllOptions {
  /** Inclusive, like EventStoreDB's reads. Defaults to the start of the log. */
  fromPosition?: string;
  maxCount?: number;
  filter?: EventFilter;
}

/** Where a subscription starts. A position or revision is exclusive: the subscription delivers what comes after it. */
export type SubscribeFromAll = 'start' | 'end' | { position: string };
export type SubscribeFromStream = 'start' | 'end' | { revision: number };

export interface SubscribeToAllOptions {
  from?: SubscribeFromAll;
  filter?: EventFilter;
  /**
   * Called, in order with the events, when the store has scanned up to `position` without finding more matches;
   * store it like an event's position so a filtered subscription does not rescan what it skipped.
   */
  onCheckpoint?: (position: string) => void | Promise<void>;
}

export interface SubscribeToStreamOptions {
  from?: SubscribeFromStream;
}

/** Catches up, then goes live. Iterate it once; `close()` ends the iteration. */
export interface Subscription extends AsyncIterable<StoredEvent> {
  close(): Promise<void>;
}

/** The append-only event log every hypotree service builds on. Knows nothing of the event catalogue. */
export interface EventStore {
  /** Appends atomically with optimistic concurrency; a retry with the same event ids returns the original result. */
  append(streamId: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult>;
  /**
   * Reads one stream; throws StreamNotFoundError (on first iteration) when it has no events, and
   * StreamIntegrityError (SQLite) at a revision that is missing or out of order.
   */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent>;
  /** Reads the whole log forwards in global order (SQLite: StreamIntegrityError where a stream's revisions skip or step back). */
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  /**
   * The ids of the streams that start with `prefix`, in the order they were created, without reading any
   * event's body (so one damaged event does not hide the other streams). Optional: SQLite has it.
   */
  listStreams?(prefix?: string): Promise<string[]>;
  /** Follows one stream: the events after `from`, then new ones as they are appended. */
  subscribeToStream(streamId: string, options?: SubscribeToStreamOptions): Subscription;
  /** Follows the whole log: the events after `from` that pass the filter, then new ones. */
  subscribeToAll(options?: SubscribeToAllOptions): Subscription;
  /** Releases the connection or file; open subscriptions end. */
  close(): Promise<void>;
}
