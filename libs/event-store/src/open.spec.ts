import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidStoreUrlError, StoreNotFoundError } from './errors.js';
import { openEventStore, parseStoreUrl, StoreUrlSchema } from './open.js';

const FORMS = 'use sqlite:<file> (or a file path) for the embedded log, or esdb://host:2113?tls=false / esdb+discover://host:2113 for EventStoreDB';

describe('store URLs', () => {
  it('the null case: the accepted forms', () => {
    expect(parseStoreUrl('sqlite:/tmp/x.db')).toEqual({ kind: 'sqlite', file: '/tmp/x.db' });
    expect(parseStoreUrl('sqlite:rel/x.db')).toEqual({ kind: 'sqlite', file: resolve('rel/x.db') });
    expect(parseStoreUrl('.hypotree/events.db')).toEqual({ kind: 'sqlite', file: resolve('.hypotree/events.db') });
    expect(parseStoreUrl('esdb://localhost:2113?tls=false')).toEqual({ kind: 'esdb', connectionString: 'esdb://localhost:2113?tls=false' });
    expect(parseStoreUrl('esdb+discover://cluster:2113')).toMatchObject({ kind: 'esdb' });
    expect(StoreUrlSchema.safeParse('sqlite:x.db').success).toBe(true);
  });

  it.each([
    ['bogus://x', 'bogus: is not a kind of event store'],
    ['http://localhost:2113', 'http: is not a kind of event store'],
    ['postgres:db', 'postgres: is not a kind of event store'],
    ['sqlite:', 'sqlite: names no file'],
    ['sqlite://tmp/x.db', 'sqlite: takes a file path, not //'],
    ['esdb://', 'it names no host'],
    ['', 'an event store URL is required'],
  ])('refuses %j in one line that lists the accepted forms', (url, reason) => {
    const error = (() => {
      try {
        parseStoreUrl(url);
      } catch (e) {
        return e as Error;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(InvalidStoreUrlError);
    expect(error.message).toBe(`event store URL ${JSON.stringify(url)}: ${reason}; ${FORMS}`);
    expect(() => openEventStore(url)).toThrow(InvalidStoreUrlError);
    // Configuration schemas (the services') report the same sentence, not a generic one.
    const parsed = StoreUrlSchema.safeParse(url);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe(error.message);
  });

  it('openEventStore with mustExist creates nothing; without it creates the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hypotree-open-url-'));
    try {
      const file = join(dir, 'sub', 'events.db');
      expect(() => openEventStore(`sqlite:${file}`, { mustExist: true })).toThrow(StoreNotFoundError);
      expect(existsSync(join(dir, 'sub'))).toBe(false);
      const created = openEventStore(`sqlite:${file}`);
      await created.close();
      expect(existsSync(file)).toBe(true);
      const reopened = openEventStore(`sqlite:${file}`, { mustExist: true });
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
