import type { ResolvedEvent } from '@eventstore/db-client';
import { MalformedEventError, StreamNotFoundError, WrongExpectedRevisionError } from '../errors.js';
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

/** Translates the client's errors into the port's; anything else passes through. */
export function translateError(error: unknown, streamId: string, expected?: ExpectedRevision): unknown {
  const e = error as { type?: string; actualVersion?: bigint | string };
  if (e?.type === 'wrong-expected-version' && expected !== undefined) {
    const actual = typeof e.actualVersion === 'bigint' ? Number(e.actualVersion) : 'no-stream';
    return new WrongExpectedRevisionError(streamId, expected, actual);
  }
  if (e?.type === 'stream-not-found') return new StreamNotFoundError(streamId);
  return error;
}
