import { v5 as uuidv5, v4 as uuidv4 } from 'uuid';

// A fixed namespace so the same (search, key…) always maps to the same event id, in every process.
const HYPOTREE_NAMESPACE = '5b0e8f36-3f0f-4f55-9a43-6f1d0c3a9e21';

/**
 * A deterministic event id (UUIDv5) for a write that may be retried: the same search and key
 * parts give the same id, so the store de-duplicates a retried append instead of doubling it.
 */
export function deterministicEventId(searchId: string, ...key: (string | number)[]): string {
  return uuidv5([searchId, ...key].join('\u001f'), HYPOTREE_NAMESPACE);
}

/** A random event id, for writes that are never retried with the same content. */
export function randomEventId(): string {
  return uuidv4();
}

/** The stream that holds one search: `search-<searchId>`. */
export function searchStreamName(searchId: string): string {
  return `search-${searchId}`;
}

/** The search id of a `search-<searchId>` stream, or undefined for any other stream. */
export function searchIdOfStream(streamName: string): string | undefined {
  return streamName.startsWith('search-') ? streamName.slice('search-'.length) : undefined;
}
