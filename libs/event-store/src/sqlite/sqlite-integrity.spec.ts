import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anEvent, summary, take, toArray } from '../contract/harness.js';
import { MalformedEventError, StoreLocationError, StoreNotFoundError, StreamIntegrityError } from '../errors.js';
import { SqliteEventStore } from './sqlite-event-store.js';

/** Runs SQL on the file beneath the adapter, as someone editing it by hand would. */
function tamper(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

const revisions = (events: { revision: number }[]) => events.map((e) => e.revision);

describe('SQLite adapter: revision integrity', () => {
  let dir: string;
  let path: string;
  let store: SqliteEventStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hypotree-integrity-'));
    path = join(dir, 'events.db');
    store = SqliteEventStore.open({ path, pollIntervalMs: 5 });
    // Two streams written interleaved: a (0…4) and b (0…2).
    for (let i = 0; i < 5; i++) {
      await store.append('a', [anEvent(`A${i}`)], { expectedRevision: i === 0 ? 'no-stream' : i - 1 });
      if (i < 3) await store.append('b', [anEvent(`B${i}`)], { expectedRevision: i === 0 ? 'no-stream' : i - 1 });
    }
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the null case: an untouched log reads whole in every direction, and appends go on', async () => {
    expect(revisions(await toArray(store.readStream('a')))).toEqual([0, 1, 2, 3, 4]);
    expect(revisions(await toArray(store.readStream('a', { direction: 'backwards' })))).toEqual([4, 3, 2, 1, 0]);
    expect(revisions(await toArray(store.readStream('a', { direction: 'backwards', fromRevision: 9 })))).toEqual([4, 3, 2, 1, 0]);
    expect(revisions(await toArray(store.readStream('a', { fromRevision: 3 })))).toEqual([3, 4]);
    expect(revisions(await toArray(store.readStream('a', { fromRevision: 7 })))).toEqual([]);
    expect(summary(await toArray(store.readAll()))).toHaveLength(8);
    expect(await store.listStreams()).toEqual(['a', 'b']);
    expect(await store.listStreams('b')).toEqual(['b']);
    await store.append('a', [anEvent('A5')], { expectedRevision: 4 });
    await store.append('a', [anEvent('A6')], { expectedRevision: 'any' });
    const reopened = SqliteEventStore.open({ path });
    await reopened.append('a', [anEvent('A7')], { expectedRevision: 6 });
    await reopened.close();
    expect(revisions(await toArray(store.readStream('a')))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  describe('a revision deleted from the middle of a stream (a gap at a@2)', () => {
    beforeEach(() => tamper(path, "DELETE FROM events WHERE stream_id = 'a' AND revision = 2"));

    it('a forward read delivers what comes before the gap, then names a@2', async () => {
      const events: number[] = [];
      const read = (async () => {
        for await (const e of store.readStream('a')) events.push(e.revision);
      })();
      await expect(read).rejects.toBeInstanceOf(StreamIntegrityError);
      expect(events).toEqual([0, 1]);
      await expect(toArray(store.readStream('a'))).rejects.toMatchObject({ streamId: 'a', revision: 2, problem: 'gap' });
      await expect(toArray(store.readStream('a'))).rejects.toThrow(/^a@2: revision gap in stream a: revision 2 is missing \(the next stored event is revision 3\); the log is not consistent/);
      await expect(toArray(store.readStream('a', { fromRevision: 2 }))).rejects.toMatchObject({ revision: 2 });
    });

    it('reads that do not reach the gap are whole, and one message is one line', async () => {
      expect(revisions(await toArray(store.readStream('a', { maxCount: 2 })))).toEqual([0, 1]);
      expect(revisions(await toArray(store.readStream('a', { fromRevision: 3 })))).toEqual([3, 4]);
      expect(revisions(await toArray(store.readStream('a', { direction: 'backwards', maxCount: 2 })))).toEqual([4, 3]);
      expect(revisions(await toArray(store.readStream('b')))).toEqual([0, 1, 2]);
      const error = await toArray(store.readStream('a')).catch((e: Error) => e);
      expect((error as Error).message).not.toContain('\n');
    });

    it('a backwards read names the gap once it passes it', async () => {
      await expect(toArray(store.readStream('a', { direction: 'backwards' }))).rejects.toMatchObject({ revision: 2, problem: 'gap' });
      await expect(toArray(store.readStream('a', { direction: 'backwards', fromRevision: 2 }))).rejects.toMatchObject({ revision: 2 });
    });

    it('readAll from the start names it; with a type filter (which skips revisions anyway) it cannot', async () => {
      await expect(toArray(store.readAll())).rejects.toMatchObject({ streamId: 'a', revision: 2, problem: 'gap' });
      await expect(toArray(store.readAll({ filter: { streamPrefix: ['a'] } }))).rejects.toThrow(/^a@2: revision gap/);
      expect(summary(await toArray(store.readAll({ filter: { eventTypes: ['A0', 'A3', 'B1'] } })))).toEqual(['a@0:A0', 'b@1:B1', 'a@3:A3']);
    });

    it('a stream subscription delivers up to the gap, then ends with it', async () => {
      const subscription = store.subscribeToStream('a');
      const iterator = subscription[Symbol.asyncIterator]();
      expect(revisions(await take(iterator, 2))).toEqual([0, 1]);
      await expect(iterator.next()).rejects.toMatchObject({ streamId: 'a', revision: 2, problem: 'gap' });
      await subscription.close();
    });

    it('refuses to append on top of the hole, whatever revision is expected, and writes nothing', async () => {
      const fresh = SqliteEventStore.open({ path });
      try {
        for (const expectedRevision of [4, 'any'] as const) {
          const append = fresh.append('a', [anEvent('A5')], { expectedRevision });
          await expect(append).rejects.toBeInstanceOf(StreamIntegrityError);
          await expect(append).rejects.toMatchObject({ streamId: 'a', revision: 2 });
        }
        await fresh.append('b', [anEvent('B3')], { expectedRevision: 2 });
      } finally {
        await fresh.close();
      }
      const db = new Database(path, { readonly: true });
      expect(db.prepare("SELECT count(*) AS n FROM events WHERE stream_id = 'a'").get()).toEqual({ n: 4 });
      db.close();
    });
  });

  it('a writer that saw a stream whole still checks what other connections appended since', async () => {
    const other = SqliteEventStore.open({ path });
    await other.append('a', [anEvent('A5'), anEvent('A6')], { expectedRevision: 4 });
    await other.close();
    tamper(path, "DELETE FROM events WHERE stream_id = 'a' AND revision = 5");
    // `store` wrote a@0…4 itself; a@5 went missing after that.
    await expect(store.append('a', [anEvent('A7')], { expectedRevision: 6 })).rejects.toMatchObject({ streamId: 'a', revision: 5, problem: 'gap' });
  });

  it('the first revision deleted: a gap at a@0 for a read, readAll and an append', async () => {
    tamper(path, "DELETE FROM events WHERE stream_id = 'a' AND revision = 0");
    await expect(toArray(store.readStream('a'))).rejects.toThrow(/^a@0: revision gap in stream a: revision 0 is missing \(the next stored event is revision 1\)/);
    await expect(toArray(store.readAll())).rejects.toMatchObject({ streamId: 'a', revision: 0 });
    await expect(toArray(store.readStream('a', { direction: 'backwards' }))).rejects.toMatchObject({ revision: 0, problem: 'gap' });
    const fresh = SqliteEventStore.open({ path });
    await expect(fresh.append('a', [anEvent('A5')], { expectedRevision: 4 })).rejects.toMatchObject({ streamId: 'a', revision: 0 });
    await fresh.close();
  });

  it('readAll from the middle of the log cannot know what came before, but still sees a gap after', async () => {
    const all = await toArray(store.readAll());
    tamper(path, "DELETE FROM events WHERE stream_id = 'a' AND revision = 3");
    // From a@2's position: a starts at 2 there (fine), then 4 follows 2.
    const fromA2 = all.find((e) => e.streamId === 'a' && e.revision === 2)!.position;
    await expect(toArray(store.readAll({ fromPosition: fromA2 }))).rejects.toMatchObject({ streamId: 'a', revision: 3, problem: 'gap' });
    const fromA4 = all.find((e) => e.streamId === 'a' && e.revision === 4)!.position;
    expect(summary(await toArray(store.readAll({ fromPosition: fromA4 })))).toEqual(['a@4:A4']);
  });

  it('revisions out of order (a@1 and a@2 swapped beneath the store): reads name where, by revision and by log order', async () => {
    tamper(path, "UPDATE events SET revision = 100 WHERE stream_id = 'a' AND revision = 1");
    tamper(path, "UPDATE events SET revision = 1 WHERE stream_id = 'a' AND revision = 2");
    tamper(path, "UPDATE events SET revision = 2 WHERE stream_id = 'a' AND revision = 100");
    await expect(toArray(store.readStream('a'))).rejects.toThrow(/^a@2: revision out of order in stream a: revision 2 was stored before revision 1;/);
    await expect(toArray(store.readStream('a'))).rejects.toMatchObject({ problem: 'out-of-order', revision: 2 });
    await expect(toArray(store.readStream('a', { direction: 'backwards' }))).rejects.toMatchObject({ problem: 'out-of-order' });
    // In the order of the log, a@2 comes where a@1 was due.
    await expect(toArray(store.readAll())).rejects.toThrow(/^a@1: revision gap in stream a: revision 1 is missing \(the next stored event is revision 2\)/);
    // A type filter skips revisions, but still sees one going back.
    await expect(toArray(store.readAll({ filter: { eventTypes: ['A1', 'A2'] } }))).rejects.toMatchObject({ streamId: 'a', revision: 1, problem: 'out-of-order' });
  });

  it('a revision that is not a whole number is a malformed event, named where it is', async () => {
    tamper(path, "UPDATE events SET revision = 1.5 WHERE stream_id = 'b' AND revision = 1");
    await expect(toArray(store.readStream('b'))).rejects.toBeInstanceOf(MalformedEventError);
    await expect(toArray(store.readStream('b'))).rejects.toThrow(/stream b revision 1.5: malformed stored event: revision 1.5 is not a whole number from 0/);
  });

  it('lists every stream even when one holds events it cannot read', async () => {
    tamper(path, "UPDATE events SET data = '{\"trunc' WHERE stream_id = 'a' AND revision = 0");
    tamper(path, "DELETE FROM events WHERE stream_id = 'b' AND revision = 0");
    expect(await store.listStreams()).toEqual(['a', 'b']);
  });
});

describe('SQLite adapter: where a log may be opened', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hypotree-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a reader (mustExist) never creates a file or a folder, and says which is missing', () => {
    const missingFile = join(dir, 'events.db');
    expect(() => SqliteEventStore.open({ path: missingFile, mustExist: true })).toThrow(StoreNotFoundError);
    expect(() => SqliteEventStore.open({ path: missingFile, mustExist: true })).toThrow(
      `no event log at ${missingFile}: the file does not exist (check --workdir, or name the log with --store sqlite:<file>)`,
    );
    const missingFolder = join(dir, 'nope', 'deeper', 'events.db');
    expect(() => SqliteEventStore.open({ path: missingFolder, mustExist: true })).toThrow(`the folder ${join(dir, 'nope', 'deeper')} does not exist`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a reader refuses a file that is not a log (not SQLite, or SQLite without the events table) and leaves it as it was', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database, just some text that is long enough to have a header'.repeat(4));
    expect(() => SqliteEventStore.open({ path: text, mustExist: true })).toThrow(StoreLocationError);
    expect(() => SqliteEventStore.open({ path: text, mustExist: true })).toThrow(/^cannot use .*notes\.txt for the event log: file is not a database$/);
    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE things (x)');
    db.close();
    expect(() => SqliteEventStore.open({ path: other, mustExist: true })).toThrow('it has no events table');
    const check = new Database(other, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'things' }]);
    check.close();
    expect(() => SqliteEventStore.open({ path: dir, mustExist: true })).toThrow('it is not a file');
  });

  it('the null case: a reader opens an existing log, and a writer creates missing folders', async () => {
    const path = join(dir, 'a', 'b', 'events.db');
    const writer = SqliteEventStore.open({ path });
    await writer.append('s', [anEvent('A')], { expectedRevision: 'no-stream' });
    await writer.close();
    const reader = SqliteEventStore.open({ path, mustExist: true });
    expect(summary(await toArray(reader.readStream('s')))).toEqual(['s@0:A']);
    await reader.close();
  });

  it('a writer whose folder cannot be made gets one error naming the folder (a file in the way)', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    expect(() => SqliteEventStore.open({ path: join(file, 'sub', 'events.db') })).toThrow(StoreLocationError);
    expect(() => SqliteEventStore.open({ path: join(file, 'sub', 'events.db') })).toThrow(`${file} is not a folder`);
    mkdirSync(join(dir, 'locked'), { mode: 0o500 });
    if (process.getuid?.() !== 0) {
      expect(() => SqliteEventStore.open({ path: join(dir, 'locked', 'x', 'events.db') })).toThrow(/cannot create the folder .*locked\/x \(EACCES\)/);
    }
    expect(existsSync(join(file, 'sub'))).toBe(false);
  });
});
