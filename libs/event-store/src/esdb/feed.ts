import type { ResolvedEvent } from '@eventstore/db-client';
import type { StoredEvent, Subscription } from '../port.js';

/** The part of the client's subscription stream the feed uses. */
export interface SubscriptionSource {
  on(event: string, listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
  readonly readableLength: number;
  unsubscribe(): Promise<void>;
}

type Item = { event: StoredEvent } | { checkpoint: string };

const highWater = 256;
const lowWater = 32;

/**
 * Adapts the client's subscription stream to the port: events and checkpoints reach the caller in the order the
 * server sent them, with backpressure (the gRPC stream pauses while the caller is behind).
 */
export class SubscriptionFeed implements Subscription {
  private readonly items: Item[] = [];
  private wake: (() => void) | undefined;
  private failure: unknown;
  private ended = false;
  private started = false;
  private cancelled = false;
  private source: SubscriptionSource | undefined;

  constructor(
    private readonly convert: (resolved: ResolvedEvent) => StoredEvent | undefined,
    private readonly onCheckpoint: ((position: string) => void | Promise<void>) | undefined,
    private readonly onClose: (feed: SubscriptionFeed) => void,
  ) {}

  /** Starts consuming the client's stream. */
  attach(source: SubscriptionSource): this {
    this.source = source;
    source.on('data', (resolved: ResolvedEvent) => {
      try {
        const event = this.convert(resolved);
        if (event) this.enqueue({ event });
      } catch (error) {
        this.fail(error);
      }
    });
    source.on('error', (error: unknown) => this.fail(error));
    source.on('end', () => this.finish());
    return this;
  }

  /** Records a server checkpoint; called by the client before it passes on anything that follows it. */
  async checkpointReached(position: string): Promise<void> {
    // Events the client already buffered precede this checkpoint: let them reach the queue first.
    while (this.source && this.source.readableLength > 0 && !this.ended) await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.onCheckpoint) this.enqueue({ checkpoint: position });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.started) throw new Error('a subscription can be iterated only once; subscribe again to read again');
    this.started = true;
    try {
      for (;;) {
        const item = this.items.shift();
        if (this.items.length <= lowWater && this.source?.isPaused()) this.source.resume();
        if (item && 'event' in item) yield item.event;
        else if (item) await this.onCheckpoint?.(item.checkpoint);
        else if (this.failure !== undefined) throw this.failure;
        else if (this.ended) return;
        else await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      await this.close();
    }
  }

  /** Cancels the server-side subscription and ends the iteration. */
  async close(): Promise<void> {
    this.items.length = 0;
    this.finish();
    if (this.cancelled) return;
    this.cancelled = true;
    await this.source?.unsubscribe();
  }

  private enqueue(item: Item): void {
    if (this.ended) return;
    this.items.push(item);
    if (this.items.length >= highWater) this.source?.pause();
    this.signal();
  }

  private fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    this.signal();
  }

  private finish(): void {
    if (!this.ended) this.ended = true;
    this.onClose(this);
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
