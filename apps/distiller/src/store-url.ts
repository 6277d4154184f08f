import path from 'node:path';
import { EventStoreDbEventStore, SqliteEventStore, type EventStore } from '@hypotree/event-store';
import { z } from 'zod';

/** An event store URL: `esdb://…` (EventStoreDB), `sqlite:<file>` or a plain file path (SQLite). */
export const StoreUrlSchema = z
  .string({ error: 'an event store URL is required: esdb://host:2113?tls=false or sqlite:<file>' })
  .min(1, 'an event store URL is required: esdb://host:2113?tls=false or sqlite:<file>')
  .refine((url) => !/^[a-z+]+:\/\//.test(url) || /^esdb(\+discover)?:\/\//.test(url), 'only esdb:// and esdb+discover:// are network stores; use sqlite:<file> for a file');

/** Opens the event store a URL names (the same URLs `hypotree run --store` takes). */
export async function openStoreAt(url: string): Promise<EventStore> {
  if (/^esdb(\+discover)?:\/\//.test(url)) return EventStoreDbEventStore.connect({ connectionString: url });
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  return SqliteEventStore.open({ path: path.resolve(file) });
}
