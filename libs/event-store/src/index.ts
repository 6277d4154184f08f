export * from './port.js';
export * from './errors.js';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store.js';
export type { SqliteDurability } from './sqlite/schema.js';
export { EventStoreDbEventStore, type EventStoreDbOptions } from './esdb/esdb-event-store.js';
export { SearchLog, type PendingEvent, type PreparedAppend } from './search-log.js';
export { openEventStore, defaultStoreUrl, parseStoreUrl, StoreUrlSchema, type OpenEventStoreOptions, type StoreLocation } from './open.js';
export { RevisionSequence, LogRevisionCheck } from './integrity.js';
