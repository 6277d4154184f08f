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
