import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '../contract/event-store.contract.js';
import { SqliteEventStore } from './sqlite-event-store.js';

/** Inserts a row the adapter would never write: its data is not JSON. */
function injectMalformedRow(path: string, streamId: string): number {
  const db = new Database(path);
  try {
    const revision = (db.prepare('SELECT max(revision) AS r FROM events WHERE stream_id = ?').get(streamId) as { r: number | null }).r ?? -1;
    db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(streamId, revision + 1, randomUUID(), 'Corrupt', '{"truncated": ', '{}', Date.now());
    return revision + 1;
  } finally {
    db.close();
  }
}

eventStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hypotree-es-'));
  const path = join(dir, 'events.db');
  return {
    open: async () => SqliteEventStore.open({ path, pollIntervalMs: 10 }),
    injectMalformed: async (streamId) => injectMalformedRow(path, streamId),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
