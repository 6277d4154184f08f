import type { ExpectedRevision } from './port.js';

function describeExpected(expected: ExpectedRevision): string {
  return typeof expected === 'number' ? `revision ${expected}` : expected;
}

/** Another writer got there first: re-read the stream, decide again, append with the new revision. */
export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The revision of the stream's last event, or 'no-stream'. */
    readonly actual: number | 'no-stream',
  ) {
    super(
      `stream ${streamId}: expected ${describeExpected(expected)} but the stream is at ` +
        `${actual === 'no-stream' ? 'no-stream (it does not exist)' : `revision ${actual}`}; ` +
        're-read the stream, decide again and append with the current revision',
    );
    this.name = 'WrongExpectedRevisionError';
  }
}

/** The stream has no events. */
export class StreamNotFoundError extends Error {
  constructor(readonly streamId: string) {
    super(`stream ${streamId} not found: it has no events (check the id, or append to it with expectedRevision 'no-stream')`);
    this.name = 'StreamNotFoundError';
  }
}

/** A stored event (or one about to be appended) that is not a well-formed JSON event. Never skipped silently. */
export class MalformedEventError extends Error {
  constructor(
    readonly streamId: string,
    /** The stored revision, or null for an event that was refused before it was written. */
    readonly revision: number | null,
    readonly reason: string,
  ) {
    super(
      revision === null
        ? `stream ${streamId}: refused to append a malformed event: ${reason}`
        : `stream ${streamId} revision ${revision}: malformed stored event: ${reason}; ` +
            'repair or remove the record beneath the store (it was not written through it), or fix the writer',
    );
    this.name = 'MalformedEventError';
  }
}

/** An event id already used by a different event (another stream, or another place in this one): ids must be unique. */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventId: string,
    readonly existingStreamId: string,
    readonly existingRevision: number,
  ) {
    super(
      `stream ${streamId}: event id ${eventId} is already stored as ${existingStreamId} revision ${existingRevision} ` +
        'and this append is not an exact retry of that write; derive ids from what makes the event unique',
    );
    this.name = 'DuplicateEventIdError';
  }
}

/** A position that this store did not hand out. */
export class InvalidPositionError extends Error {
  constructor(readonly position: string, readonly store: string) {
    super(`position "${position}" is not a ${store} position; pass back a position this store returned`);
    this.name = 'InvalidPositionError';
  }
}

/** What is wrong with a stream's revisions: one is missing, or one comes after a later one. */
export type RevisionProblem = 'gap' | 'out-of-order';

/**
 * A stream whose revisions do not run 0, 1, 2, … in the order they were written: a revision is missing
 * (a gap: events removed beneath the store) or out of order. The stream is not consistent: nothing is
 * decided from it or appended to it until it is repaired. `revision` is where the problem is (`streamId@revision`).
 */
export class StreamIntegrityError extends Error {
  constructor(
    readonly streamId: string,
    readonly revision: number,
    readonly problem: RevisionProblem,
    /** What was found there instead. */
    readonly detail: string,
  ) {
    super(
      `${streamId}@${revision}: ${problem === 'gap' ? 'revision gap' : 'revision out of order'} in stream ${streamId}: ${detail}; ` +
        'the log is not consistent (it was changed beneath the store): restore it from a copy, or branch the search before this revision',
    );
    this.name = 'StreamIntegrityError';
  }

  /** `expected` is missing: the next event stored is `found` (or none, with null). */
  static gap(streamId: string, expected: number, found: number | null, context = ''): StreamIntegrityError {
    const next = found === null ? 'the stream ends before it' : `the next stored event is revision ${found}`;
    return new StreamIntegrityError(streamId, expected, 'gap', `revision ${expected} is missing (${next})${context}`);
  }

  /** `revision` was read after `previous` (a later revision), or was stored before it. */
  static outOfOrder(streamId: string, revision: number, previous: number, how = 'it comes after'): StreamIntegrityError {
    return new StreamIntegrityError(streamId, revision, 'out-of-order', `revision ${revision} ${how} revision ${previous}`);
  }
}

/** A store a read-only command asked for that does not exist; it is never created by reading. */
export class StoreNotFoundError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`no event log at ${path}: ${reason} (check --workdir, or name the log with --store sqlite:<file>)`);
    this.name = 'StoreNotFoundError';
  }
}

/** A store that cannot be opened or created where asked (a folder that cannot be made, a file that is not a log). */
export class StoreLocationError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`cannot use ${path} for the event log: ${reason}`);
    this.name = 'StoreLocationError';
  }
}

/** An event store URL of no accepted form. */
export class InvalidStoreUrlError extends Error {
  constructor(readonly url: string, reason: string) {
    super(`event store URL ${JSON.stringify(url)}: ${reason}; use sqlite:<file> (or a file path) for the embedded log, or esdb://host:2113?tls=false / esdb+discover://host:2113 for EventStoreDB`);
    this.name = 'InvalidStoreUrlError';
  }
}

/** What the store was doing when it failed, for messages that say where: `append to s`, `read s`, `subscribe to $all`. */
export type StoreOperation = 'append' | 'read' | 'readAll' | 'subscribe' | 'subscribeToAll' | 'delete';

function describeOperation(operation: StoreOperation, streamId: string): string {
  switch (operation) {
    case 'append': return `append to stream ${streamId}`;
    case 'read': return `read of stream ${streamId}`;
    case 'subscribe': return `subscription to stream ${streamId}`;
    case 'readAll': return 'read of $all';
    case 'subscribeToAll': return 'subscription to $all';
    case 'delete': return `delete of stream ${streamId}`;
  }
}

/** Why a store could not answer: it did not in time, it is not reachable, or the node is not the leader. */
export type StoreUnavailableReason = 'deadline-exceeded' | 'unavailable' | 'not-leader';

/**
 * The store did not answer this operation: its deadline passed, the node is unreachable, or it is a follower
 * that will not take writes. An append that fails so may or may not have been written: retry it with the same
 * event ids (the store de-duplicates an exact retry) and the same expected revision.
 */
export class StoreUnavailableError extends Error {
  constructor(
    readonly store: string,
    readonly operation: StoreOperation,
    readonly streamId: string,
    readonly reason: StoreUnavailableReason,
    detail: string,
  ) {
    const what =
      reason === 'deadline-exceeded' ? 'did not answer before its deadline' : reason === 'not-leader' ? 'is not the leader node' : 'is unavailable';
    super(
      `${store}: ${describeOperation(operation, streamId)} failed: the server ${what} (${detail}); ` +
        (operation === 'append' ? 'retry with the same event ids and expected revision (an exact retry is not written twice)' : 'retry, or check the server and the connection string'),
    );
    this.name = 'StoreUnavailableError';
  }
}

/** The credentials in the connection string may not do this (e.g. read `$all` without being an admin or an ops user). */
export class StoreAccessDeniedError extends Error {
  constructor(readonly store: string, readonly operation: StoreOperation, readonly streamId: string) {
    super(
      `${store}: ${describeOperation(operation, streamId)} was refused: access denied; ` +
        'put credentials allowed to do this in the connection string (esdb://user:password@host:2113; reading $all needs $admins or $ops)',
    );
    this.name = 'StoreAccessDeniedError';
  }
}

/** An append larger than the store accepts in one write; nothing was written. */
export class AppendTooLargeError extends Error {
  constructor(
    readonly store: string,
    readonly streamId: string,
    /** The store's limit in bytes. */
    readonly maxAppendSize: number,
    readonly eventCount: number,
  ) {
    super(
      `${store}: append of ${eventCount} event(s) to stream ${streamId} exceeds the server's maximum append size of ${maxAppendSize} bytes; ` +
        'nothing was written: split the batch, or raise MaxAppendSize on the server',
    );
    this.name = 'AppendTooLargeError';
  }
}

/** How a stream lost its events: deleted for good, soft-deleted, or cut at the front by `$maxCount`/`$maxAge`/`$tb`. */
export type StreamDeletion = 'tombstoned' | 'soft-deleted' | 'truncated';

/**
 * A stream whose events are gone: tombstoned (it can never be written again), soft-deleted, or truncated so
 * that its first revisions no longer exist. Nothing is decided from what is left of it.
 */
export class StreamDeletedError extends Error {
  constructor(
    readonly store: string,
    readonly operation: StoreOperation,
    readonly streamId: string,
    readonly deletion: StreamDeletion,
    /** For a truncated stream, the first revision still stored. */
    readonly firstRevision?: number,
  ) {
    const how =
      deletion === 'tombstoned'
        ? 'the stream was deleted for good (tombstoned) and can never be written again'
        : deletion === 'soft-deleted'
          ? 'the stream was deleted (soft delete)'
          : `the stream was truncated: its first stored revision is ${firstRevision} (by $maxCount, $maxAge or $tb), so revisions before it are gone`;
    super(`${store}: ${describeOperation(operation, streamId)} failed: ${how}; use another stream id, or restore the stream from a backup`);
    this.name = 'StreamDeletedError';
  }
}
