import type Database from 'better-sqlite3';

/** Durability of a commit. `full`: survives power loss. `normal`: survives a process crash; power loss may drop the last commits. */
export type SqliteDurability = 'full' | 'normal';

/** The columns of one stored event, as SQLite returns them. */
export interface EventRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

/** Sets the pragmas every connection uses (WAL, durability, busy wait) and creates the table once. */
export function prepareDatabase(db: Database.Database, durability: SqliteDurability, busyTimeoutMs: number): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  // AUTOINCREMENT: positions are never reused, so a follower's checkpoint stays meaningful.
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      position    INTEGER PRIMARY KEY AUTOINCREMENT,
      stream_id   TEXT    NOT NULL,
      revision    INTEGER NOT NULL,
      event_id    TEXT    NOT NULL UNIQUE,
      type        TEXT    NOT NULL,
      data        TEXT    NOT NULL,
      metadata    TEXT    NOT NULL,
      recorded_at INTEGER NOT NULL,
      UNIQUE (stream_id, revision)
    )`);
}
