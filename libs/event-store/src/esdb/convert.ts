import type { ResolvedEvent } from '@eventstore/db-client';
import {
  AppendTooLargeError, InvalidPositionError, MalformedEventError, StoreAccessDeniedError, StoreUnavailableError, StreamDeletedError,
  StreamNotFoundError, WrongExpectedRevisionError, type StoreOperation,
} from '../errors.js';
import { requireObject } from '../events.js';
import type { ExpectedRevision, StoredEvent } from '../port.js';
import { formatPosition } from './positions.js';

/** Whether an event belongs to EventStoreDB itself (`$`-prefixed stream or type), which the port never shows. */
export function isSystemEvent(resolved: ResolvedEvent): boolean {
  const event = resolved.event;
  return event !== undefined && (event.streamId.startsWith('$') || event.type.startsWith('$'));
}

/** Turns the client's event into a StoredEvent, or throws MalformedEventError naming stream and revision. */
export function toStoredEvent(resolved: ResolvedEvent): StoredEvent {
  const event = resolved.event;
  if (!event) throw new MalformedEventError('(unknown)', null, 'the server sent a read result without an event');
  const streamId = event.streamId;
  const revision = Number(event.revision);
  if (!event.isJson) throw new MalformedEventError(streamId, revision, 'its content type is not application/json');
  if (!event.position) throw new MalformedEventError(streamId, revision, 'the server sent it without a $all position');
  return {
    streamId,
    revision,
    position: formatPosition(event.position),
    id: event.id,
    type: event.type,
    data: requireObject(streamId, revision, 'data', event.data),
    // EventStoreDB allows events without metadata; they read as empty metadata.
    metadata: event.metadata === undefined ? {} : requireObject(streamId, revision, 'metadata', event.metadata),
    recordedAt: event.created,
  };
}

/** Where a client error happened, so the translated error can say which store, stream and operation. */
export interface ErrorContext {
  operation: StoreOperation;
  /** The stream, or `$all`. */
  streamId: string;
  expected?: ExpectedRevision;
  eventCount?: number;
  /** The `$all` position the read or subscription started from, if one was given. */
  position?: string;
}

/** The name errors give this store. */
export const storeName = 'EventStoreDB';

const gone = /invalid position|out of range/i;

/** Translates the client's errors into the port's, naming store, stream and operation; anything unknown passes through. */
export function translateError(error: unknown, context: ErrorContext): unknown {
  const e = error as { type?: string; actualVersion?: bigint | string; maxAppendSize?: number; message?: string; code?: number; details?: string };
  const { operation, streamId } = context;
  switch (e?.type) {
    case 'wrong-expected-version': {
      if (context.expected === undefined) break;
      const actual = typeof e.actualVersion === 'bigint' ? Number(e.actualVersion) : 'no-stream';
      return new WrongExpectedRevisionError(streamId, context.expected, actual);
    }
    case 'stream-not-found':
      return new StreamNotFoundError(streamId);
    case 'stream-deleted':
      return new StreamDeletedError(storeName, operation, streamId, 'tombstoned');
    case 'deadline-exceeded':
    case 'timeout':
      return new StoreUnavailableError(storeName, operation, streamId, 'deadline-exceeded', firstLine(e.message));
    case 'unavailable':
    case 'cancelled':
      return new StoreUnavailableError(storeName, operation, streamId, 'unavailable', firstLine(e.message));
    case 'not-leader':
      return new StoreUnavailableError(storeName, operation, streamId, 'not-leader', firstLine(e.message));
    case 'access-denied':
      return new StoreAccessDeniedError(storeName, operation, streamId);
    case 'maximum-append-size-exceeded':
      return new AppendTooLargeError(storeName, streamId, Number(e.maxAppendSize), context.eventCount ?? 0);
  }
  // The server refuses a $all position that is not an event's (OUT_OF_RANGE, "Invalid position").
  if (context.position !== undefined && (e?.code === 11 || gone.test(String(e?.details ?? e?.message ?? '')))) {
    return new InvalidPositionError(context.position, storeName);
  }
  return error;
}

function firstLine(message: string | undefined): string {
  return (message ?? 'no detail').split('\n')[0]!;
}
