import { MalformedEventError, StreamNotFoundError, WrongExpectedRevisionError } from '../errors.js';
import type { EventStore } from '../port.js';
import { anEvent, summary, toArray, uniqueStream, type ContractHarness } from './harness.js';
import { subscriptionContract, type ContractContext } from './subscriptions.contract.js';

export type { ContractHarness } from './harness.js';

/** Registers the tests every EventStore adapter must pass, against the storage `makeHarness` provides. */
export function eventStoreContract(name: string, makeHarness: () => Promise<ContractHarness>): void {
  describe(`EventStore contract: ${name}`, () => {
    const context = {} as ContractContext;
    const opened: EventStore[] = [];

    beforeAll(async () => {
      context.harness = await makeHarness();
    });
    beforeEach(async () => {
      context.open = async () => {
        const store = await context.harness.open();
        opened.push(store);
        return store;
      };
      context.store = await context.open();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });
    afterAll(async () => {
      await context.harness?.dispose();
    });

    describe('optimistic concurrency', () => {
      it('creates a stream with no-stream and numbers its events from revision 0', async () => {
        const stream = uniqueStream('oc');
        const result = await context.store.append(stream, [anEvent('A'), anEvent('B'), anEvent('C')], { expectedRevision: 'no-stream' });
        expect(result.nextExpectedRevision).toBe(2);
        expect(typeof result.position).toBe('string');
        const events = await toArray(context.store.readStream(stream));
        expect(summary(events)).toEqual([`${stream}@0:A`, `${stream}@1:B`, `${stream}@2:C`]);
        expect(events[2]!.position).toBe(result.position);
      });

      it('refuses no-stream on an existing stream, naming stream and revisions', async () => {
        const stream = uniqueStream('oc');
        await context.store.append(stream, [anEvent('A'), anEvent('B')], { expectedRevision: 'no-stream' });
        const failure = context.store.append(stream, [anEvent('C')], { expectedRevision: 'no-stream' });
        await expect(failure).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        await expect(failure).rejects.toMatchObject({ streamId: stream, expected: 'no-stream', actual: 1 });
        await expect(failure).rejects.toThrow(new RegExp(`stream ${stream}: expected no-stream but the stream is at revision 1`));
      });

      it('appends with the exact revision and refuses a stale one', async () => {
        const stream = uniqueStream('oc');
        await context.store.append(stream, [anEvent('A'), anEvent('B')], { expectedRevision: 'no-stream' });
        const next = await context.store.append(stream, [anEvent('C'), anEvent('D')], { expectedRevision: 1 });
        expect(next.nextExpectedRevision).toBe(3);
        const stale = context.store.append(stream, [anEvent('E')], { expectedRevision: 1 });
        await expect(stale).rejects.toMatchObject({ name: 'WrongExpectedRevisionError', expected: 1, actual: 3 });
        await expect(stale).rejects.toThrow(/expected revision 1 but the stream is at revision 3/);
        expect(summary(await toArray(context.store.readStream(stream))).map((s) => s.split(':')[1])).toEqual(['A', 'B', 'C', 'D']);
      });

      it('refuses an exact revision on a stream that does not exist', async () => {
        const stream = uniqueStream('oc');
        const failure = context.store.append(stream, [anEvent('A')], { expectedRevision: 0 });
        await expect(failure).rejects.toMatchObject({ name: 'WrongExpectedRevisionError', streamId: stream, actual: 'no-stream' });
      });

      it('appends with any whatever the revision', async () => {
        const stream = uniqueStream('oc');
        expect((await context.store.append(stream, [anEvent('A')], { expectedRevision: 'any' })).nextExpectedRevision).toBe(0);
        expect((await context.store.append(stream, [anEvent('B')], { expectedRevision: 'any' })).nextExpectedRevision).toBe(1);
      });
    });

    describe('idempotent retries', () => {
      it('returns the original result for a retried batch with the same ids and stores it once', async () => {
        const stream = uniqueStream('retry');
        await context.store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
        const batch = [anEvent('B'), anEvent('C')];
        const first = await context.store.append(stream, batch, { expectedRevision: 0 });
        const retried = await context.store.append(stream, batch, { expectedRevision: 0 });
        expect(retried).toEqual(first);
        const retriedAny = await context.store.append(stream, batch, { expectedRevision: 'any' });
        expect(retriedAny).toEqual(first);
        const events = await toArray(context.store.readStream(stream));
        expect(events.map((event) => event.id)).toEqual([expect.any(String), batch[0]!.id, batch[1]!.id]);
      });

      it('treats a retried stream creation as a no-op', async () => {
        const stream = uniqueStream('retry');
        const batch = [anEvent('A')];
        const first = await context.store.append(stream, batch, { expectedRevision: 'no-stream' });
        expect(await context.store.append(stream, batch, { expectedRevision: 'no-stream' })).toEqual(first);
        expect(await toArray(context.store.readStream(stream))).toHaveLength(1);
      });
    });

    describe('non-exact retries and racing writers', () => {
      it('refuses a retry that only partly matches the earlier write, and writes nothing of it', async () => {
        const stream = uniqueStream('retry');
        await context.store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
        const batch = [anEvent('B'), anEvent('C')];
        await context.store.append(stream, batch, { expectedRevision: 0 });
        const forged = [batch[0]!, anEvent('D')];
        const retry = context.store.append(stream, forged, { expectedRevision: 0 });
        await expect(retry).rejects.toMatchObject({ streamId: stream });
        await expect(context.store.append(stream, forged, { expectedRevision: 0 })).rejects.toThrow(
          /WrongExpectedRevision|expected revision 0 but the stream is at revision 2|already stored/,
        );
        expect(summary(await toArray(context.store.readStream(stream)))).toEqual([`${stream}@0:A`, `${stream}@1:B`, `${stream}@2:C`]);
      });

      it('lets exactly one of two writers racing on one revision win', async () => {
        const stream = uniqueStream('race');
        await context.store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
        const other = await context.open();
        const outcomes = await Promise.allSettled([
          context.store.append(stream, [anEvent('First')], { expectedRevision: 0 }),
          other.append(stream, [anEvent('Second')], { expectedRevision: 0 }),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]!.reason).toBeInstanceOf(WrongExpectedRevisionError);
        expect(lost[0]!.reason).toMatchObject({ streamId: stream, expected: 0, actual: 1 });
        const winner = outcomes[0]!.status === 'fulfilled' ? 'First' : 'Second';
        expect(summary(await toArray(context.store.readStream(stream)))).toEqual([`${stream}@0:A`, `${stream}@1:${winner}`]);
      });
    });

    describe('reads', () => {
      it('returns data, metadata ($correlationId, $causationId), id, type and time as written', async () => {
        const stream = uniqueStream('read');
        const event = anEvent('HypothesisProposed', { nodeId: 'n1', nested: { list: [1, 'two', null], flag: true } });
        event.metadata = { ...event.metadata, $correlationId: 'search-42', $causationId: 'cause-7' };
        const before = Date.now();
        await context.store.append(stream, [event], { expectedRevision: 'no-stream' });
        const [stored] = await toArray(context.store.readStream(stream));
        expect(stored).toMatchObject({ streamId: stream, revision: 0, id: event.id, type: event.type, data: event.data, metadata: event.metadata });
        expect(stored!.recordedAt).toBeInstanceOf(Date);
        expect(Math.abs(stored!.recordedAt.getTime() - before)).toBeLessThan(60_000);
      });

      it('reads forwards from the middle, honouring maxCount', async () => {
        const stream = uniqueStream('read');
        await context.store.append(stream, ['A', 'B', 'C', 'D', 'E'].map((t) => anEvent(t)), { expectedRevision: 'no-stream' });
        const events = await toArray(context.store.readStream(stream, { fromRevision: 2, maxCount: 2 }));
        expect(summary(events)).toEqual([`${stream}@2:C`, `${stream}@3:D`]);
        expect(await toArray(context.store.readStream(stream, { fromRevision: 9 }))).toEqual([]);
      });

      it('reads backwards from the end or from a revision', async () => {
        const stream = uniqueStream('read');
        await context.store.append(stream, ['A', 'B', 'C', 'D'].map((t) => anEvent(t)), { expectedRevision: 'no-stream' });
        expect(summary(await toArray(context.store.readStream(stream, { direction: 'backwards', maxCount: 2 })))).toEqual([
          `${stream}@3:D`, `${stream}@2:C`,
        ]);
        expect(summary(await toArray(context.store.readStream(stream, { direction: 'backwards', fromRevision: 1 })))).toEqual([
          `${stream}@1:B`, `${stream}@0:A`,
        ]);
      });

      it('reports a missing stream with StreamNotFoundError naming it', async () => {
        const stream = uniqueStream('missing');
        const reading = toArray(context.store.readStream(stream));
        await expect(reading).rejects.toBeInstanceOf(StreamNotFoundError);
        await expect(toArray(context.store.readStream(stream))).rejects.toThrow(stream);
      });

      it('reads all events in append order from a position (inclusive), with prefix and type filters', async () => {
        const prefix = uniqueStream('all');
        const [one, two] = [`${prefix}-one`, `${prefix}-two`];
        const first = await context.store.append(one, [anEvent('A')], { expectedRevision: 'no-stream' });
        await context.store.append(two, [anEvent('B'), anEvent('C')], { expectedRevision: 'no-stream' });
        await context.store.append(one, [anEvent('D')], { expectedRevision: 0 });
        const filter = { streamPrefix: [prefix] };
        const all = await toArray(context.store.readAll({ fromPosition: first.position, filter }));
        expect(summary(all)).toEqual([`${one}@0:A`, `${two}@0:B`, `${two}@1:C`, `${one}@1:D`]);
        const fromSecond = await toArray(context.store.readAll({ fromPosition: all[1]!.position, filter, maxCount: 2 }));
        expect(summary(fromSecond)).toEqual([`${two}@0:B`, `${two}@1:C`]);
        const typed = await toArray(context.store.readAll({ fromPosition: first.position, filter: { ...filter, eventTypes: ['A', 'D'] } }));
        expect(summary(typed)).toEqual([`${one}@0:A`, `${one}@1:D`]);
      });
    });

    describe('malformed stored events', () => {
      it('reports a malformed event with its stream and revision instead of skipping it', async () => {
        const stream = uniqueStream('malformed');
        await context.store.append(stream, [anEvent('A'), anEvent('B')], { expectedRevision: 'no-stream' });
        const revision = await context.harness.injectMalformed(stream);
        const seen: string[] = [];
        const reading = (async () => {
          for await (const event of context.store.readStream(stream)) seen.push(event.type);
        })();
        await expect(reading).rejects.toBeInstanceOf(MalformedEventError);
        await expect(toArray(context.store.readStream(stream))).rejects.toMatchObject({ streamId: stream, revision });
        await expect(toArray(context.store.readStream(stream))).rejects.toThrow(`stream ${stream} revision ${revision}`);
        expect(seen).toEqual(['A', 'B']);
      });
    });

    subscriptionContract(context);
  });
}
