import type { ResolvedEvent } from '@eventstore/db-client';
import { StoreUnavailableError } from '../errors.js';
import type { StoredEvent, Subscription } from '../port.js';
import { storeName, translateError, type ErrorContext } from './convert.js';

/** The part of the client's subscription stream the feed uses. */
export interface SubscriptionSource {
  on(event: string, listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
  readonly readableLength: number;
  unsubscribe(): Promise<void>;
}

/** Opens the server-side subscription, after `cursor` (the last event or checkpoint received) when resuming. */
export type OpenSubscription = (cursor: string | undefined) => SubscriptionSource;

/** How a dropped subscription is resumed: delays double from `initialDelayMs` up to `maxDelayMs`, `maxAttempts` in a row. */
export interface ResumePolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

export const defaultResumePolicy: ResumePolicy = { initialDelayMs: 50, maxDelayMs: 2000, maxAttempts: 10 };

export interface FeedOptions {
  convert(resolved: ResolvedEvent): StoredEvent | undefined;
  /** Where to resume after this event: its `$all` position or its stream revision. */
  cursorOf(resolved: ResolvedEvent): string | undefined;
  onCheckpoint?: (position: string) => void | Promise<void>;
  onClose(feed: SubscriptionFeed): void;
  context: ErrorContext;
  resume: ResumePolicy;
}

type Item = { event: StoredEvent } | { checkpoint: string };

const highWater = 256;
const lowWater = 32;
/** The client's types for a server that went away or asked the client to go elsewhere: worth resuming. */
const transient = new Set(['unavailable', 'cancelled', 'not-leader', 'deadline-exceeded', 'timeout']);

/**
 * Adapts the client's subscription stream to the port: events and checkpoints reach the caller in the order the
 * server sent them, with backpressure (the gRPC stream pauses while the caller is behind). A subscription the
 * server drops (it ends, or fails as unavailable, not leader or cancelled) is opened again after the last event or
 * checkpoint received, with backoff: delivery is at-least-once, and consumers de-duplicate by position.
 */
export class SubscriptionFeed implements Subscription {
  /** Settles once the server confirmed the subscription (or it failed, or was closed). */
  readonly ready: Promise<void>;
  /** How many times a dropped subscription was opened again. */
  resumes = 0;
  private markReady!: () => void;
  private readonly items: Item[] = [];
  private wake: (() => void) | undefined;
  private failure: unknown;
  private ended = false;
  private started = false;
  private cancelled = false;
  private source: SubscriptionSource | undefined;
  private open: OpenSubscription | undefined;
  private cursor: string | undefined;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: FeedOptions) {
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
  }

  /** Starts consuming: opens the server-side subscription. */
  start(open: OpenSubscription): this {
    this.open = open;
    this.connect();
    return this;
  }

  /** Records a server checkpoint; called by the client before it passes on anything that follows it. */
  async checkpointReached(position: string, from: SubscriptionSource): Promise<void> {
    // Events the client already buffered precede this checkpoint: let them reach the queue first.
    while (from.readableLength > 0 && !this.ended && from === this.source) await new Promise((resolve) => setTimeout(resolve, 1));
    if (from !== this.source || this.ended) return;
    this.cursor = position;
    if (this.options.onCheckpoint) this.enqueue({ checkpoint: position });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.started) throw new Error('a subscription can be iterated only once; subscribe again to read again');
    this.started = true;
    try {
      for (;;) {
        const item = this.items.shift();
        if (this.items.length <= lowWater && this.source?.isPaused()) this.source.resume();
        if (item && 'event' in item) yield item.event;
        else if (item) await this.options.onCheckpoint?.(item.checkpoint);
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
    clearTimeout(this.timer);
    this.finish();
    if (this.cancelled) return;
    this.cancelled = true;
    await this.source?.unsubscribe();
  }

  private connect(): void {
    const source = this.open!(this.cursor);
    this.source = source;
    const current = (): boolean => this.source === source && !this.ended;
    source.on('confirmation', () => {
      if (!current()) return;
      this.markReady();
    });
    source.on('data', (resolved: ResolvedEvent) => {
      if (!current()) return;
      this.attempts = 0;
      try {
        const cursor = this.options.cursorOf(resolved);
        const event = this.options.convert(resolved);
        if (cursor !== undefined) this.cursor = cursor;
        if (event) this.enqueue({ event });
      } catch (error) {
        this.fail(error);
      }
    });
    source.on('error', (error: { type?: string }) => {
      if (!current()) return;
      if (transient.has(error?.type ?? '')) this.dropped(error);
      else this.fail(translateError(error, this.options.context));
    });
    source.on('end', () => {
      if (current()) this.dropped(new Error('the server ended the subscription'));
    });
  }

  /** The server dropped the subscription: open it again after what was received, or give up after too many tries. */
  private dropped(error: unknown): void {
    // Appends waiting for this subscription's confirmation go ahead: a subscription dropped before it was confirmed
    // resumes from where it asked to start, and cannot promise more.
    this.markReady();
    const old = this.source;
    this.source = undefined;
    void old?.unsubscribe().catch(() => undefined);
    const { initialDelayMs, maxDelayMs, maxAttempts } = this.options.resume;
    if (this.attempts >= maxAttempts) {
      const translated = translateError(error, this.options.context);
      this.fail(
        translated instanceof Error && translated.name === 'StoreUnavailableError'
          ? translated
          : new StoreUnavailableError(storeName, this.options.context.operation, this.options.context.streamId, 'unavailable', `dropped ${maxAttempts} times in a row: ${(error as Error)?.message ?? error}`),
      );
      return;
    }
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** this.attempts);
    this.attempts += 1;
    this.timer = setTimeout(() => {
      if (this.ended) return;
      this.resumes += 1;
      this.connect();
    }, delay);
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
    this.markReady();
    this.options.onClose(this);
    void this.source?.unsubscribe().catch(() => undefined);
    this.signal();
  }

  private finish(): void {
    if (!this.ended) this.ended = true;
    this.markReady();
    this.options.onClose(this);
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
