import { searchStreamName, type SearchEvent } from '@hypotree/events';
import { EventScript } from '@hypotree/tree/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamIntegrityError } from './errors.js';
import type { EventStore, ReadStreamOptions, StoredEvent } from './port.js';
import { SearchLog } from './search-log.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';

const actor = { service: 'test', instance: 'spec-1' };

/**
 * A store that hands back a stream as another adapter might after damage it does not check for itself
 * (EventStoreDB after a scavenge, a hand-edited export): `rewrite` changes what a stream read returns.
 */
function damaged(inner: EventStore, rewrite: (events: StoredEvent[]) => StoredEvent[]): EventStore {
  return {
    append: (...args) => inner.append(...args),
    readAll: (options) => inner.readAll(options),
    subscribeToStream: (...args) => inner.subscribeToStream(...args),
    subscribeToAll: (options) => inner.subscribeToAll(options),
    close: () => inner.close(),
    readStream: (streamId: string, options?: ReadStreamOptions) => ({
      async *[Symbol.asyncIterator]() {
        const events: StoredEvent[] = [];
        for await (const e of inner.readStream(streamId)) events.push(e);
        yield* rewrite(events).slice(0, options?.maxCount ?? Infinity);
      },
    }),
  };
}

/** A started search with a baseline and two proposals: revisions 0…3. */
function script(searchId: string): SearchEvent[] {
  const s = new EventScript(searchId);
  s.start();
  s.baseline([0.5, 0.5]);
  s.propose('1', '0', { x: 1 });
  s.propose('2', '0', { x: 2 });
  return s.events.map(({ type, data }) => ({ type, data }) as SearchEvent);
}

describe('SearchLog: a search stream must run 0, 1, 2, … whatever the store', () => {
  let dir: string;
  let sqlite: SqliteEventStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hypotree-searchlog-'));
    sqlite = SqliteEventStore.open({ path: join(dir, 'events.db') });
    await new SearchLog(sqlite, actor).append('s', -1, script('s').map((event) => ({ id: randomUUID(), event })));
  });
  afterEach(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the null case: an intact stream reads whole, and up to a revision', async () => {
    const log = new SearchLog(damaged(sqlite, (events) => events), actor);
    expect((await log.history('s')).map((e) => e.revision)).toEqual([0, 1, 2, 3]);
    expect((await log.ownEvents('s', 1)).map((e) => e.type)).toEqual(['SearchStarted', 'BaselineMeasured']);
    expect(await log.ownEvents('nobody')).toEqual([]);
  });

  it('refuses a stream with a revision missing, naming stream@revision', async () => {
    const log = new SearchLog(damaged(sqlite, (events) => events.filter((e) => e.revision !== 2)), actor);
    const read = log.history('s');
    await expect(read).rejects.toBeInstanceOf(StreamIntegrityError);
    await expect(log.history('s')).rejects.toThrow(/^search-s@2: revision gap in stream search-s: revision 2 is missing \(the next stored event is revision 3\)/);
    // What comes before the hole is still readable (a branch before it keeps it).
    expect((await log.ownEvents('s', 1)).map((e) => e.revision)).toEqual([0, 1]);
  });

  it('refuses a stream that does not start at 0, and one whose revisions step back', async () => {
    const headless = new SearchLog(damaged(sqlite, (events) => events.slice(1)), actor);
    await expect(headless.ownEvents('s')).rejects.toMatchObject({ streamId: searchStreamName('s'), revision: 0, problem: 'gap' });
    const swapped = new SearchLog(damaged(sqlite, ([a, b, c, d]) => [a!, c!, b!, d!]), actor);
    await expect(swapped.ownEvents('s')).rejects.toMatchObject({ revision: 1, problem: 'gap' });
    const repeated = new SearchLog(damaged(sqlite, ([a, b, c]) => [a!, b!, b!, c!]), actor);
    await expect(repeated.ownEvents('s')).rejects.toThrow(/^search-s@1: revision out of order in stream search-s: revision 1 comes twice;/);
  });

  it("refuses a branch whose parent's stream ends before the branch revision", async () => {
    const log = new SearchLog(sqlite, actor);
    const branch = (id: string, revision: number) =>
      log.append(id, -1, [{ id: randomUUID(), event: { type: 'SearchBranched', data: { searchId: id, parent: { searchId: 's', revision }, reason: 'test', policies: {} } } }]);
    await branch('ok', 3);
    expect((await log.history('ok')).map((e) => `${e.streamId}@${e.revision}`)).toEqual(['search-s@0', 'search-s@1', 'search-s@2', 'search-s@3', 'search-ok@0']);
    await branch('beyond', 5);
    await expect(log.history('beyond')).rejects.toThrow(/^search-s@4: revision gap in stream search-s: revision 4 is missing \(the stream ends before it\): branch beyond starts from revision 5 of it;/);
  });

  it('a branch before a gap reads whole: the hole after its revision is not its own', async () => {
    const holed = new SearchLog(damaged(sqlite, (events) => events.filter((e) => e.revision !== 3)), actor);
    expect((await holed.history('s', 2)).map((e) => e.revision)).toEqual([0, 1, 2]);
  });
});
