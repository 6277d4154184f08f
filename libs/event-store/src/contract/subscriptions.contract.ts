import { MalformedEventError } from '../errors.js';
import type { EventStore } from '../port.js';
import { anEvent, summary, take, uniqueStream, withDeadline, type ContractHarness } from './harness.js';

/** Shared state of one contract run: the harness, the store opened for the current test, and a way to open another. */
export interface ContractContext {
  harness: ContractHarness;
  store: EventStore;
  open(): Promise<EventStore>;
}

/** Registers the subscription part of the contract. */
export function subscriptionContract(context: ContractContext): void {
  describe('subscriptions', () => {
    it('catches up on a stream, then delivers new events live', async () => {
      const stream = uniqueStream('sub');
      await context.store.append(stream, [anEvent('A'), anEvent('B')], { expectedRevision: 'no-stream' });
      const subscription = context.store.subscribeToStream(stream);
      const events = subscription[Symbol.asyncIterator]();
      expect(summary(await take(events, 2))).toEqual([`${stream}@0:A`, `${stream}@1:B`]);
      await context.store.append(stream, [anEvent('C')], { expectedRevision: 1 });
      expect(summary(await take(events, 1))).toEqual([`${stream}@2:C`]);
      await subscription.close();
    });

    it('starts a stream subscription after the given revision (exclusive) or at the end', async () => {
      const stream = uniqueStream('sub');
      await context.store.append(stream, ['A', 'B', 'C'].map((t) => anEvent(t)), { expectedRevision: 'no-stream' });
      const afterOne = context.store.subscribeToStream(stream, { from: { revision: 1 } });
      const fromEnd = context.store.subscribeToStream(stream, { from: 'end' });
      const [a, b] = [afterOne[Symbol.asyncIterator](), fromEnd[Symbol.asyncIterator]()];
      expect(summary(await take(a, 1))).toEqual([`${stream}@2:C`]);
      await context.store.append(stream, [anEvent('D')], { expectedRevision: 2 });
      expect(summary(await take(a, 1))).toEqual([`${stream}@3:D`]);
      expect(summary(await take(b, 1))).toEqual([`${stream}@3:D`]);
      await Promise.all([afterOne.close(), fromEnd.close()]);
    });

    it('follows a stream that does not exist yet', async () => {
      const stream = uniqueStream('sub');
      const subscription = context.store.subscribeToStream(stream);
      const events = subscription[Symbol.asyncIterator]();
      const pending = take(events, 1);
      await context.store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
      expect(summary(await pending)).toEqual([`${stream}@0:A`]);
      await subscription.close();
    });

    it('subscribes to all after a position (exclusive) with a stream prefix filter, then goes live', async () => {
      const prefix = uniqueStream('suball');
      const first = await context.store.append(`${prefix}-a`, [anEvent('A')], { expectedRevision: 'no-stream' });
      await context.store.append(uniqueStream('other'), [anEvent('X')], { expectedRevision: 'no-stream' });
      await context.store.append(`${prefix}-b`, [anEvent('B')], { expectedRevision: 'no-stream' });
      const subscription = context.store.subscribeToAll({ from: { position: first.position }, filter: { streamPrefix: [prefix] } });
      const events = subscription[Symbol.asyncIterator]();
      expect(summary(await take(events, 1))).toEqual([`${prefix}-b@0:B`]);
      await context.store.append(uniqueStream('other'), [anEvent('Y')], { expectedRevision: 'no-stream' });
      await context.store.append(`${prefix}-a`, [anEvent('C')], { expectedRevision: 0 });
      expect(summary(await take(events, 1))).toEqual([`${prefix}-a@1:C`]);
      await subscription.close();
    });

    it('filters a subscription to all by event type', async () => {
      const prefix = uniqueStream('types');
      const types = [`${prefix}Wanted`, `${prefix}Other`];
      const subscription = context.store.subscribeToAll({ from: 'end', filter: { eventTypes: [types[0]!] } });
      const events = subscription[Symbol.asyncIterator]();
      const pending = take(events, 2);
      await context.store.append(`${prefix}-a`, [anEvent(types[0]!), anEvent(types[1]!), anEvent(types[0]!)], {
        expectedRevision: 'no-stream',
      });
      expect(summary(await pending)).toEqual([`${prefix}-a@0:${types[0]}`, `${prefix}-a@2:${types[0]}`]);
      await subscription.close();
    });

    it('resumes from a stored checkpoint after a restart with no loss and no duplicate', async () => {
      const prefix = uniqueStream('resume');
      const start = await context.store.append(`${prefix}-0`, [anEvent('Start')], { expectedRevision: 'no-stream' });
      await context.store.append(`${prefix}-1`, ['E1', 'E2', 'E3'].map((t) => anEvent(t)), { expectedRevision: 'no-stream' });
      const filter = { streamPrefix: [`${prefix}-1`] };
      const before = context.store.subscribeToAll({ from: { position: start.position }, filter });
      const seen = await take(before[Symbol.asyncIterator](), 2);
      const checkpoint = seen[1]!.position;
      await before.close();
      await context.store.close();

      const reopened = await context.open();
      await reopened.append(`${prefix}-1`, [anEvent('E4')], { expectedRevision: 2 });
      const after = reopened.subscribeToAll({ from: { position: checkpoint }, filter });
      const events = after[Symbol.asyncIterator]();
      expect(summary(await take(events, 2)).map((s) => s.split(':')[1])).toEqual(['E3', 'E4']);
      await reopened.append(`${prefix}-1`, [anEvent('Sentinel')], { expectedRevision: 3 });
      expect(summary(await take(events, 1)).map((s) => s.split(':')[1])).toEqual(['Sentinel']);
      await after.close();
    });

    it('reports checkpoints of a filtered subscription in order, and they resume without loss', async () => {
      const prefix = uniqueStream('ckpt');
      const start = await context.store.append(`${prefix}-start`, [anEvent('Start')], { expectedRevision: 'no-stream' });
      await context.store.append(`${prefix}-match`, [anEvent('M1')], { expectedRevision: 'no-stream' });
      for (let i = 0; i < 40; i += 1) await context.store.append(`${prefix}-skip`, [anEvent('S')], { expectedRevision: 'any' });
      const log: string[] = [];
      const filter = { streamPrefix: [`${prefix}-match`] };
      const subscription = context.store.subscribeToAll({
        from: { position: start.position },
        filter,
        onCheckpoint: (position) => {
          log.push(`checkpoint ${position}`);
        },
      });
      const events = subscription[Symbol.asyncIterator]();
      log.push(...summary(await take(events, 1)));
      const pending = take(events, 1);
      await context.store.append(`${prefix}-match`, [anEvent('M2')], { expectedRevision: 0 });
      log.push(...summary(await pending));
      await subscription.close();
      expect(log[0]).toBe(`${prefix}-match@0:M1`);
      expect(log[log.length - 1]).toBe(`${prefix}-match@1:M2`);
      const checkpoints = log.filter((entry) => entry.startsWith('checkpoint ')).map((entry) => entry.slice('checkpoint '.length));
      expect(checkpoints.length).toBeGreaterThan(0);
      const resumed = context.store.subscribeToAll({ from: { position: checkpoints[checkpoints.length - 1]! }, filter });
      expect(summary(await take(resumed[Symbol.asyncIterator](), 1))).toEqual([`${prefix}-match@1:M2`]);
      await resumed.close();
    });

    it('sends a checkpoint before any matching event once catch-up has scanned events that do not match', async () => {
      const prefix = uniqueStream('live');
      const start = await context.store.append(`${prefix}-start`, [anEvent('Start')], { expectedRevision: 'no-stream' });
      await context.store.append(`${prefix}-skip`, ['S1', 'S2', 'S3'].map((t) => anEvent(t)), { expectedRevision: 'no-stream' });
      const filter = { streamPrefix: [`${prefix}-match`] };
      let checkpointed!: (position: string) => void;
      const firstCheckpoint = new Promise<string>((resolve) => (checkpointed = resolve));
      const seen: string[] = [];
      const subscription = context.store.subscribeToAll({
        from: { position: start.position },
        filter,
        onCheckpoint: (position) => {
          seen.push('checkpoint');
          checkpointed(position);
        },
      });
      const events = subscription[Symbol.asyncIterator]();
      // Pull so that checkpoints are delivered; nothing matches yet.
      const pending = take(events, 1, 5000);
      const checkpoint = await withDeadline(firstCheckpoint, 5000, 'a checkpoint from a filtered subscription that scanned 3 non-matching events');
      await context.store.append(`${prefix}-match`, [anEvent('M1')], { expectedRevision: 'no-stream' });
      seen.push(...summary(await pending));
      expect(seen[0]).toBe('checkpoint');
      expect(seen[seen.length - 1]).toBe(`${prefix}-match@0:M1`);
      await subscription.close();
      const resumed = context.store.subscribeToAll({ from: { position: checkpoint }, filter });
      expect(summary(await take(resumed[Symbol.asyncIterator](), 1))).toEqual([`${prefix}-match@0:M1`]);
      await resumed.close();
    });

    it('resumes from every checkpoint it reported with the next matching event first', async () => {
      const prefix = uniqueStream('every');
      const start = await context.store.append(`${prefix}-start`, [anEvent('Start')], { expectedRevision: 'no-stream' });
      for (let round = 0; round < 3; round += 1) {
        for (let i = 0; i < 40; i += 1) await context.store.append(`${prefix}-skip`, [anEvent('S')], { expectedRevision: 'any' });
        await context.store.append(`${prefix}-match`, [anEvent(`M${round}`)], { expectedRevision: round === 0 ? 'no-stream' : round - 1 });
      }
      const filter = { streamPrefix: [`${prefix}-match`] };
      const trail: ({ checkpoint: string } | { type: string })[] = [];
      const subscription = context.store.subscribeToAll({
        from: { position: start.position },
        filter,
        onCheckpoint: (position) => {
          trail.push({ checkpoint: position });
        },
      });
      const events = subscription[Symbol.asyncIterator]();
      // One at a time, so the trail keeps checkpoints and events in the order they were delivered.
      for (let i = 0; i < 3; i += 1) trail.push({ type: (await take(events, 1))[0]!.type });
      await context.store.append(`${prefix}-skip`, [anEvent('S')], { expectedRevision: 'any' });
      const live = take(events, 1);
      await context.store.append(`${prefix}-match`, [anEvent('M3')], { expectedRevision: 2 });
      trail.push({ type: (await live)[0]!.type });
      await subscription.close();
      expect(trail.filter((item) => 'type' in item)).toEqual(['M0', 'M1', 'M2', 'M3'].map((type) => ({ type })));
      const checkpoints = trail.flatMap((item, index) => ('checkpoint' in item ? [{ position: item.checkpoint, index }] : []));
      // Every checkpoint with a matching event after it: the first event resumed from it is that event.
      const followed = checkpoints
        .map(({ position, index }) => ({ position, next: trail.slice(index + 1).find((item): item is { type: string } => 'type' in item) }))
        .filter((c): c is { position: string; next: { type: string } } => c.next !== undefined);
      expect(followed.length).toBeGreaterThan(0);
      for (const { position, next } of followed) {
        const resumed = context.store.subscribeToAll({ from: { position }, filter });
        const [first] = await take(resumed[Symbol.asyncIterator](), 1);
        expect(`${position} -> ${first!.type}`).toBe(`${position} -> ${next.type}`);
        await resumed.close();
      }
    });

    it('raises a malformed event to the subscriber with its stream and revision', async () => {
      const stream = uniqueStream('malformed');
      await context.store.append(stream, [anEvent('A')], { expectedRevision: 'no-stream' });
      const revision = await context.harness.injectMalformed(stream);
      const subscription = context.store.subscribeToStream(stream);
      const events = subscription[Symbol.asyncIterator]();
      expect(summary(await take(events, 1))).toEqual([`${stream}@0:A`]);
      const failure = events.next();
      await expect(failure).rejects.toBeInstanceOf(MalformedEventError);
      await expect(failure).rejects.toMatchObject({ streamId: stream, revision });
      await subscription.close();
    });
  });
}
