import { MalformedEventError } from './errors.js';
import type { EventFilter, EventToAppend } from './port.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses a batch that no adapter could store faithfully (bad id, empty type, data or metadata not a JSON object). */
export function checkEventsToAppend(streamId: string, events: readonly EventToAppend[]): void {
  if (streamId.length === 0) throw new MalformedEventError('(empty)', null, 'the stream id is empty');
  const seen = new Set<string>();
  for (const [index, event] of events.entries()) {
    const at = `event ${index} (id ${String(event.id)})`;
    if (typeof event.id !== 'string' || !uuidPattern.test(event.id)) {
      throw new MalformedEventError(streamId, null, `${at}: id must be a UUID`);
    }
    if (seen.has(event.id.toLowerCase())) throw new MalformedEventError(streamId, null, `${at}: the id appears twice in one append`);
    seen.add(event.id.toLowerCase());
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new MalformedEventError(streamId, null, `${at}: type must be a non-empty string`);
    }
    if (!isJsonObject(event.data)) throw new MalformedEventError(streamId, null, `${at}: data must be a JSON object`);
    if (!isJsonObject(event.metadata)) throw new MalformedEventError(streamId, null, `${at}: metadata must be a JSON object`);
  }
}

/** Parses a stored JSON object field, or throws MalformedEventError naming stream, revision and field. */
export function parseStoredObject(streamId: string, revision: number, field: string, text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') throw new MalformedEventError(streamId, revision, `${field} is missing`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MalformedEventError(streamId, revision, `${field} is not valid JSON (${(error as Error).message})`);
  }
  if (!isJsonObject(value)) throw new MalformedEventError(streamId, revision, `${field} is not a JSON object`);
  return value;
}

/** Checks a decoded value is a JSON object, or throws MalformedEventError. */
export function requireObject(streamId: string, revision: number, field: string, value: unknown): Record<string, unknown> {
  if (!isJsonObject(value)) {
    const what = value instanceof Uint8Array ? 'bytes that are not JSON' : typeof value === 'string' ? 'text that is not a JSON object' : 'not a JSON object';
    throw new MalformedEventError(streamId, revision, `${field} is ${what}`);
  }
  return value;
}

/** Whether an event passes a filter (client-side; adapters push what they can to the server). */
export function matchesFilter(filter: EventFilter | undefined, streamId: string, type: string): boolean {
  if (!filter) return true;
  if (filter.streamPrefix && !filter.streamPrefix.some((prefix) => streamId.startsWith(prefix))) return false;
  if (filter.eventTypes && !filter.eventTypes.includes(type)) return false;
  return true;
}
