import path from 'node:path';
import { EventStoreDbEventStore, SqliteEventStore, type EventStore } from '@hypotree/event-store';

/** Where the log lives: `esdb://…` for EventStoreDB, `sqlite:<file>` or a file path for the embedded log. */
export function defaultStoreUrl(workdir: string): string {
  return `sqlite:${path.join(workdir, 'events.db')}`;
}

/** Opens the event store a URL names. */
export async function openStore(url: string): Promise<EventStore> {
  if (url.startsWith('esdb://') || url.startsWith('esdb+discover://')) return EventStoreDbEventStore.connect({ connectionString: url });
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  return SqliteEventStore.open({ path: path.resolve(file) });
}
