import path from 'node:path';
import { z } from 'zod';
import { EventStoreDbEventStore } from './esdb/esdb-event-store.js';
import { InvalidStoreUrlError } from './errors.js';
import type { EventStore } from './port.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';

const NETWORK_STORE = /^esdb(\+discover)?:\/\//;
/** A URL scheme (two letters or more, so a drive letter is not one). */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/** Where a store URL points: a SQLite file (absolute path) or an EventStoreDB connection string. */
export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'esdb'; connectionString: string };

/**
 * Reads an event store URL: `esdb://…` / `esdb+discover://…` (EventStoreDB), `sqlite:<file>` or a plain
 * file path (SQLite). Anything else is an InvalidStoreUrlError, one line listing the accepted forms.
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (typeof url !== 'string' || url.trim().length === 0) throw new InvalidStoreUrlError(String(url ?? ''), 'an event store URL is required');
  if (NETWORK_STORE.test(url)) {
    if (url.replace(NETWORK_STORE, '').length === 0) throw new InvalidStoreUrlError(url, 'it names no host');
    return { kind: 'esdb', connectionString: url };
  }
  const scheme = SCHEME.exec(url)?.[1];
  if (scheme === undefined) return { kind: 'sqlite', file: path.resolve(url) };
  if (scheme.toLowerCase() !== 'sqlite') throw new InvalidStoreUrlError(url, `${scheme}: is not a kind of event store`);
  const file = url.slice('sqlite:'.length);
  if (file.startsWith('//')) throw new InvalidStoreUrlError(url, 'sqlite: takes a file path, not //');
  if (file.length === 0) throw new InvalidStoreUrlError(url, 'sqlite: names no file');
  return { kind: 'sqlite', file: path.resolve(file) };
}

/** An event store URL (see `parseStoreUrl`), for configuration schemas. */
export const StoreUrlSchema = z.string({ error: 'an event store URL is required: sqlite:<file> or esdb://host:2113?tls=false' }).superRefine((url, context) => {
  try {
    parseStoreUrl(url);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** The embedded log's URL under a hypotree working folder: `sqlite:<workdir>/events.db`. */
export function defaultStoreUrl(workdir: string): string {
  return `sqlite:${path.join(workdir, 'events.db')}`;
}

export interface OpenEventStoreOptions {
  /**
   * For read-only use: the log must exist. A missing SQLite file is a StoreNotFoundError naming its path,
   * and no file or folder is created. (EventStoreDB connects lazily; a missing search shows as an empty stream.)
   */
  mustExist?: boolean;
}

/** Opens the event store a URL names (the URLs `hypotree run --store` and the services take). */
export function openEventStore(url: string, options: OpenEventStoreOptions = {}): EventStore {
  const location = parseStoreUrl(url);
  if (location.kind === 'esdb') {
    try {
      return EventStoreDbEventStore.connect({ connectionString: location.connectionString });
    } catch (error) {
      throw new InvalidStoreUrlError(url, (error as Error).message.split('\n')[0]!);
    }
  }
  return SqliteEventStore.open({ path: location.file, mustExist: options.mustExist ?? false });
}
