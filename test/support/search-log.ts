import path from 'node:path';
import { SearchLog, SqliteEventStore } from '@hypotree/event-store';
import type { RecordedSearchEvent } from '@hypotree/events';

/** The summary `hypotree run --json` prints (the coordinator's type). */
export type { SearchSummary as Summary } from '@hypotree/coordinator';

/** The bundled task the end-to-end tests search. */
export const TASK = path.resolve('examples/spirals');

/** One search's own events, read from the SQLite log under a workdir as another process would. */
export async function readSearchLog(workdir: string, searchId: string): Promise<RecordedSearchEvent[]> {
  const store = SqliteEventStore.open({ path: path.join(workdir, 'events.db') });
  try {
    return await new SearchLog(store, { service: 'test', instance: 'reader' }).ownEvents(searchId);
  } finally {
    await store.close();
  }
}

/** How many events of a type a log holds. */
export const countOf = (events: RecordedSearchEvent[], type: string): number => events.filter((e) => e.type === type).length;
