import { randomUUID } from 'node:crypto';
import type { EventStore, EventToAppend, StoredEvent } from '../port.js';

/** What a spec supplies to run the contract against one adapter. */
export interface ContractHarness {
  /** Opens an adapter on the shared storage; calling it again after a close simulates a restart. */
  open(): Promise<EventStore>;
  /** Writes, beneath the adapter, one malformed event at the end of `streamId` and returns its revision. */
  injectMalformed(streamId: string): Promise<number>;
  /** Releases the storage (stops a server, removes a directory). */
  dispose(): Promise<void>;
}

/** A stream id no other test (or earlier run against a shared server) uses. */
export function uniqueStream(category: string): string {
  return `${category}-${randomUUID().replaceAll('-', '')}`;
}

/** A well-formed event with fresh id, a payload, and correlation metadata. */
export function anEvent(type: string, data: Record<string, unknown> = {}, id: string = randomUUID()): EventToAppend {
  return { id, type, data, metadata: { $correlationId: 'search-1', $causationId: id, actor: { service: 'test', instance: '1' } } };
}

/** Reads an async iterable to the end. */
export async function toArray<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Pulls the next `count` events from a live iterator, failing after `timeoutMs` with what arrived so far. */
export async function take(iterator: AsyncIterator<StoredEvent>, count: number, timeoutMs = 5000): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (events.length < count) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`waited ${timeoutMs} ms for ${count} events, got ${events.length}: ${events.map((e) => e.type).join(', ')}`)),
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) throw new Error(`subscription ended after ${events.length} of ${count} events`);
      events.push(next.value);
    } finally {
      clearTimeout(timer);
    }
  }
  return events;
}

/** The (stream, revision, type) of events, for comparisons that ignore opaque positions and timestamps. */
export function summary(events: StoredEvent[]): string[] {
  return events.map((event) => `${event.streamId}@${event.revision}:${event.type}`);
}

/** Waits for `promise`, failing after `timeoutMs` with a message naming what was awaited. */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
