import path from 'node:path';
import { z } from 'zod';
import { EventStoreDbEventStore } from './esdb/esdb-event-store.js';
import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';

const NETWORK_STORE = /^esdb(\+discover)?:\/\//;
const HOW = 'esdb://host:2113?tls=false (EventStoreDB) or sqlite:<file> (the embedded log)';

/** An event store URL: `esdb://…` / `esdb+discover://…` (EventStoreDB), `sqlite:<file>` or a plain file path (SQLite). */
export const StoreUrlSchema = z
  .string({ error: `an event store URL is required: ${HOW}` })
  .min(1, `an event store URL is required: ${HOW}`)
  .refine((url) => !/^[a-z+]+:\/\//.test(url) || NETWORK_STORE.test(url), `only esdb:// and esdb+discover:// are network stores; use sqlite:<file> for a file`);

/** The embedded log's URL under a hypotree working folder: `sqlite:<workdir>/events.db`. */
export function defaultStoreUrl(workdir: string): string {
  return `sqlite:${path.join(workdir, 'events.db')}`;
}

/** Opens the event store a URL names (the URLs `hypotree run --store` and the services take). */
export function openEventStore(url: string): EventStore {
  const valid = StoreUrlSchema.parse(url);
  if (NETWORK_STORE.test(valid)) return EventStoreDbEventStore.connect({ connectionString: valid });
  const file = valid.startsWith('sqlite:') ? valid.slice('sqlite:'.length) : valid;
  return SqliteEventStore.open({ path: path.resolve(file) });
}
