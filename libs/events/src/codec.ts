import type { z } from 'zod';
import { issueList } from './issues.js';
import { isSearchEventType, searchEventSchemas, type SearchEvent, type SearchEventType } from './catalogue.js';
import { EventMetadataSchema, type Actor, type EventMetadata } from './metadata.js';
import { randomEventId } from './ids.js';

/** The schema version each event type is written with today. Raise it together with an upcaster. */
export const currentSchemaVersions: Readonly<Record<SearchEventType, number>> = Object.fromEntries(
  Object.keys(searchEventSchemas).map((type) => [type, 1]),
) as Record<SearchEventType, number>;

/** Turns the data of `type` at `fromVersion` into the data at `fromVersion + 1`. */
export interface Upcaster {
  type: SearchEventType;
  fromVersion: number;
  upcast(data: unknown): unknown;
}

/** Upcasters for old schema versions of the catalogue (none yet: every type is at version 1). */
export const searchEventUpcasters: readonly Upcaster[] = [];

/** An event as the store hands it back: generic, not yet validated. */
export interface StoredEventLike {
  streamId: string;
  revision: number;
  position?: string;
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

/** An event as the store keeps it, ready to append. */
export interface EventToAppendLike {
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

/** A validated search event read from its stream. */
export type RecordedSearchEvent = SearchEvent & {
  id: string;
  streamId: string;
  revision: number;
  position?: string;
  metadata: EventMetadata;
};

/** An event that does not match the catalogue; names where it was (stream and revision, when read) and every bad field. */
export class EventValidationError extends Error {
  constructor(
    readonly where: string,
    readonly type: string,
    readonly problems: string[],
  ) {
    super(`${where} (${type}): ${problems.join('; ')}`);
    this.name = 'EventValidationError';
  }
}

function describeIssues(prefix: string, error: z.ZodError): string[] {
  return issueList(error, { where: (path) => [prefix, ...path.map(String)].join('.') });
}

/** What to write with an event: who wrote it, for which search, and what caused it. */
export interface WriteContext {
  searchId: string;
  causationId: string;
  actor: Actor;
  now?: Date;
}

/** Validates a new event against the catalogue and wraps it with its metadata; throws EventValidationError when invalid. */
export function encodeEvent(event: SearchEvent, context: WriteContext, id: string = randomEventId()): EventToAppendLike {
  const where = `new event for search ${context.searchId}`;
  if (!isSearchEventType(event.type)) {
    throw new EventValidationError(where, String(event.type), ['type: not in the event catalogue']);
  }
  const parsed = searchEventSchemas[event.type].safeParse(event.data);
  if (!parsed.success) throw new EventValidationError(where, event.type, describeIssues('data', parsed.error));
  const metadata: EventMetadata = {
    $correlationId: context.searchId,
    $causationId: context.causationId,
    actor: context.actor,
    schemaVersion: currentSchemaVersions[event.type],
    at: (context.now ?? new Date()).toISOString(),
  };
  return { id, type: event.type, data: parsed.data, metadata };
}

export interface DecodeOptions {
  upcasters?: readonly Upcaster[];
  versions?: Readonly<Record<string, number>>;
}

/**
 * Validates a stored event (after upcasting old schema versions) and returns it typed.
 * An unknown type, bad metadata or bad data is an EventValidationError naming stream and revision.
 */
export function decodeEvent(stored: StoredEventLike, options: DecodeOptions = {}): RecordedSearchEvent {
  const where = `${stored.streamId}@${stored.revision}`;
  if (!isSearchEventType(stored.type)) {
    throw new EventValidationError(where, stored.type, ['type: not in the event catalogue (written by a newer hypotree, or corrupt)']);
  }
  const meta = EventMetadataSchema.safeParse(stored.metadata);
  if (!meta.success) throw new EventValidationError(where, stored.type, describeIssues('metadata', meta.error));

  const upcasters = options.upcasters ?? searchEventUpcasters;
  const current = (options.versions ?? currentSchemaVersions)[stored.type] ?? 1;
  let version = meta.data.schemaVersion;
  let data = stored.data;
  if (version > current) {
    throw new EventValidationError(where, stored.type, [
      `metadata.schemaVersion: ${version} is newer than this build knows (${current}); upgrade hypotree`,
    ]);
  }
  while (version < current) {
    const step = upcasters.find((u) => u.type === stored.type && u.fromVersion === version);
    if (!step) {
      throw new EventValidationError(where, stored.type, [`metadata.schemaVersion: no upcaster from version ${version}`]);
    }
    data = step.upcast(data);
    version += 1;
  }

  const parsed = searchEventSchemas[stored.type].safeParse(data);
  if (!parsed.success) throw new EventValidationError(where, stored.type, describeIssues('data', parsed.error));
  return {
    type: stored.type,
    data: parsed.data,
    id: stored.id,
    streamId: stored.streamId,
    revision: stored.revision,
    position: stored.position,
    metadata: { ...meta.data, schemaVersion: version },
  } as RecordedSearchEvent;
}
