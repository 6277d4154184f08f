import { InvalidPositionError, MalformedEventError } from '../errors.js';
import { parseStoredObject } from '../events.js';
import type { EventFilter, StoredEvent } from '../port.js';
import type { EventRow } from './schema.js';

/** Turns a row into a StoredEvent, or throws MalformedEventError naming its stream and revision. */
export function toStoredEvent(row: EventRow): StoredEvent {
  const { stream_id: streamId, revision } = row;
  if (!Number.isSafeInteger(revision) || revision < 0) throw new MalformedEventError(streamId, revision, `revision ${String(revision)} is not a whole number from 0`);
  if (typeof row.event_id !== 'string' || row.event_id.length === 0) throw new MalformedEventError(streamId, revision, 'event id is missing');
  if (typeof row.type !== 'string' || row.type.length === 0) throw new MalformedEventError(streamId, revision, 'type is missing');
  if (typeof row.recorded_at !== 'number') throw new MalformedEventError(streamId, revision, 'recorded_at is not a number');
  return {
    streamId,
    revision,
    position: String(row.position),
    id: row.event_id,
    type: row.type,
    data: parseStoredObject(streamId, revision, 'data', row.data),
    metadata: parseStoredObject(streamId, revision, 'metadata', row.metadata),
    recordedAt: new Date(row.recorded_at),
  };
}

/** Parses a position this adapter handed out. */
export function parsePosition(position: string): number {
  if (!/^\d{1,15}$/.test(position)) throw new InvalidPositionError(position, 'SQLite');
  return Number(position);
}

/** SQL selecting `$all` rows from a position up to a bound that pass a filter; `bind(from, to, limit)` gives its parameters. */
export function filteredAllQuery(
  filter: EventFilter | undefined,
  lowerBound: '>' | '>=',
): { sql: string; bind(from: number, to: number, limit: number): unknown[] } {
  const clauses = [`position ${lowerBound} ?`, 'position <= ?'];
  const params: unknown[] = [];
  if (filter?.streamPrefix) {
    // substr keeps the comparison case-sensitive (LIKE is not), matching EventStoreDB's prefix filter.
    const parts = filter.streamPrefix.map((prefix) => {
      params.push(prefix.length, prefix);
      return 'substr(stream_id, 1, ?) = ?';
    });
    clauses.push(parts.length > 0 ? `(${parts.join(' OR ')})` : '0');
  }
  if (filter?.eventTypes) {
    params.push(...filter.eventTypes);
    clauses.push(filter.eventTypes.length > 0 ? `type IN (${filter.eventTypes.map(() => '?').join(', ')})` : '0');
  }
  return {
    sql: `SELECT * FROM events WHERE ${clauses.join(' AND ')} ORDER BY position LIMIT ?`,
    bind: (from, to, limit) => [from, to, ...params, limit],
  };
}
