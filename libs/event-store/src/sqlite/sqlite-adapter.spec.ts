import { transformFileSync } from '@swc/core';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { anEvent, summary, take, toArray } from '../contract/harness.js';
import { DuplicateEventIdError, InvalidPositionError, MalformedEventError } from '../errors.js';
import { SqliteEventStore } from './sqlite-event-store.js';

const run = promisify(execFile);
const libRoot = resolve(process.cwd(), 'libs/event-store');

/** Compiles the adapter's sources for child processes; under node_modules so they resolve better-sqlite3. */
function compileAdapter(): { dir: string; module: string } {
  const dir = join(libRoot, 'node_modules/.cache', `worker-${process.pid}-${Date.now()}`);
  const walk = (from: string): string[] =>
    readdirSync(from, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(from, entry.name)) : [join(from, entry.name)],
    );
  for (const file of walk(join(libRoot, 'src'))) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts') || file.includes('/contract/')) continue;
    const out = join(dir, file.slice(join(libRoot, 'src').length)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    const { code } = transformFileSync(file, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } });
    writeFileSync(out, code);
  }
  return { dir, module: join(dir, 'sqlite/sqlite-event-store.js') };
}

describe('SQLite adapter', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hypotree-es-'));
    path = join(dir, 'nested', 'events.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps revisions contiguous with two processes appending concurrently, and a third connection follows them live', async () => {
    const compiled = compileAdapter();
    const follower = SqliteEventStore.open({ path, pollIntervalMs: 5 });
    try {
      const subscription = follower.subscribeToStream('search-concurrent');
      const following = take(subscription[Symbol.asyncIterator](), 2 * 120, 45_000);
      const worker = join(libRoot, 'src/sqlite/concurrent-appender.worker.mjs');
      // Both start appending at the same instant, after their (slow) process start-up, so their appends interleave.
      const startAt = String(Date.now() + 1500);
      const outputs = await Promise.all(
        ['a', 'b'].map((name) => run(process.execPath, [worker, compiled.module, path, name, '120', startAt], { timeout: 45_000 })),
      );
      const reports = outputs.map((output) => JSON.parse(output.stdout) as { worker: string; conflicts: number });
      expect(reports.map((report) => report.worker)).toEqual(['a', 'b']);

      const events = await toArray(follower.readStream('search-concurrent'));
      expect(events.map((event) => event.revision)).toEqual([...Array(240).keys()]);
      for (const name of ['a', 'b']) {
        const mine = events.map((event) => event.data as { worker: string; i: number }).filter((data) => data.worker === name);
        expect(mine.map((data) => data.i)).toEqual([...Array(120).keys()]);
      }
      expect(summary(await following)).toEqual(summary(events));
      await subscription.close();
    } finally {
      await follower.close();
      rmSync(compiled.dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to reuse an event id in another stream, naming both places', async () => {
    const store = SqliteEventStore.open({ path });
    const event = anEvent('A');
    await store.append('search-1', [event], { expectedRevision: 'no-stream' });
    const reuse = store.append('search-2', [event], { expectedRevision: 'no-stream' });
    await expect(reuse).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(reuse).rejects.toThrow(/search-2: event id .* is already stored as search-1 revision 0/);
    const extended = store.append('search-1', [event, anEvent('B')], { expectedRevision: 'any' });
    await expect(extended).rejects.toBeInstanceOf(DuplicateEventIdError);
    await store.close();
  });

  it('refuses events it could not read back (non-object data, non-UUID id) before writing', async () => {
    const store = SqliteEventStore.open({ path });
    const textData = store.append('s', [{ ...anEvent('A'), data: 'text' }], { expectedRevision: 'any' });
    await expect(textData).rejects.toBeInstanceOf(MalformedEventError);
    await expect(textData).rejects.toThrow(/stream s: refused to append a malformed event: event 0 .*data must be a JSON object/);
    await expect(store.append('s', [{ ...anEvent('A'), id: 'not-a-uuid' }], { expectedRevision: 'any' })).rejects.toThrow(/id must be a UUID/);
    await expect(toArray(store.readStream('s'))).rejects.toThrow(/stream s not found/);
    await store.close();
  });

  it('applies WAL and the durability setting, and rejects a position it did not hand out', async () => {
    for (const [durability, level] of [['full', 2], ['normal', 1]] as const) {
      const store = SqliteEventStore.open({ path, durability });
      await store.append(`s-${durability}`, [anEvent('A')], { expectedRevision: 'no-stream' });
      await store.close();
      const db = new Database(path);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
      const probe = SqliteEventStore.open({ path, durability }) as unknown as { db: Database.Database };
      expect(probe.db.pragma('synchronous', { simple: true })).toBe(level);
      await (probe as unknown as SqliteEventStore).close();
    }
    const store = SqliteEventStore.open({ path });
    await expect(toArray(store.readAll({ fromPosition: 'C:1/P:1' }))).rejects.toBeInstanceOf(InvalidPositionError);
    await store.close();
  });

  it('ends open subscriptions when the store closes', async () => {
    const store = SqliteEventStore.open({ path, pollIntervalMs: 5 });
    const subscription = store.subscribeToAll();
    const next = subscription[Symbol.asyncIterator]().next();
    await store.close();
    expect(await next).toEqual({ done: true, value: undefined });
  });
});
