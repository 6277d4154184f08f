import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ClientNats, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { defer, Observable, retry, throwError, timeout, timer, catchError } from 'rxjs';
import { seal } from '../auth/envelope.js';
import type { BusSecurity } from '../auth/identity.js';
import type { DispatchLedger } from '../auth/ledger.js';
import { signersOf } from '../auth/signers.js';
import { Patterns } from '../contracts.js';
import { DispatchQueue, type WorkQueueSettings } from '../jetstream/work-queue.js';
import { SealedReplyDeserializer } from './replies.js';
import { connectionOptions, type NatsConnection } from './servers.js';
import type { NatsConnection as NatsConnectionHandle } from '@nats-io/transport-node';

/** How a client retries a request that failed (no answer in time, the broker gone, an error reply). */
export interface RequestRetry {
  /** Tries in all, the first included. */
  tries: number;
  /** How long one try waits for its answer. */
  perTryMs: number;
  /** The wait before try n+1 is `firstDelayMs × 2^(n-1)`, at most `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * The default: 4 tries of up to 30 s, 1 s, 2 s, 4 s apart (~2 min at worst, the single 120 s wait it
 * replaces; with no distiller subscribed each try fails at once, so it gives up within seconds).
 */
export const DEFAULT_REQUEST_RETRY: RequestRetry = { tries: 4, perTryMs: 30_000, firstDelayMs: 1_000, maxDelayMs: 15_000 };

/** What a client needs beyond its connection. */
export interface HypotreeClientOptions {
  /** Sign everything sent, accept only signed replies; absent: an open bus. */
  security?: BusSecurity;
  /** The coordinator's: every dispatch gets a nonce recorded here, which its reports must echo. */
  ledger?: DispatchLedger;
  /** Retries of request/reply (distill). */
  retry?: RequestRetry;
  /** Dispatches go to the JetStream work queue (created with these settings) instead of core NATS. */
  workQueue?: WorkQueueSettings;
  logger?: { warn(message: string): void };
}

/** The text of whatever a failed request or publish carried (Nest passes strings and objects as errors too). */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return JSON.stringify(error) ?? String(error);
}

/**
 * Nest's NATS client for our services. It rides out a broker restart: while the connection is
 * re-established (for ever, every 250 ms) messages are buffered by the NATS client instead of
 * failing (Nest's client fails every call while it is disconnected). On a secured bus it signs
 * what it sends (dispatches get a nonce from the ledger), and takes only signed replies that echo
 * a pending request's nonce. A distill request that fails is retried with exponential backoff; the
 * error after the last try names the server and the operation.
 */
export class HypotreeNatsClient extends ClientNats {
  private readonly pending = new Set<string>();
  private readonly retryPolicy: RequestRetry;
  private readonly warn: (message: string) => void;
  private queue?: Promise<DispatchQueue>;

  constructor(
    private readonly connection: NatsConnection,
    private readonly extras: HypotreeClientOptions = {},
  ) {
    const logger = extras.logger ?? new Logger('HypotreeNatsClient');
    const warn = (message: string) => logger.warn(message);
    const security = extras.security;
    const pending = new Set<string>();
    super({
      ...connectionOptions(connection, security?.identity),
      deserializer: security ? new SealedReplyDeserializer(Patterns.distill, signersOf(security.trust).distiller, pending, warn) : undefined,
    });
    this.pending = pending;
    this.warn = warn;
    this.retryPolicy = extras.retry ?? DEFAULT_REQUEST_RETRY;
  }

  /** The connection underneath (JetStream clients are built on it); only once connected. */
  get natsConnection(): NatsConnectionHandle {
    if (!this.natsClient) throw new Error(`not connected to NATS at ${this.where}`);
    return this.natsClient as unknown as NatsConnectionHandle;
  }

  /** The servers this client talks to, for messages. */
  get where(): string {
    return this.connection.servers.join(', ');
  }

  override async connect(): Promise<any> {
    // While the NATS client reconnects, use it all the same: it buffers what is published and
    // re-subscribes after the reconnect. Nest's client would fail every call until then.
    if (this.natsClient && !this.natsClient.isClosed()) return this.natsClient;
    const client = await super.connect();
    void this.reportConnection(client);
    if (this.extras.workQueue) await this.dispatchQueue();
    return client;
  }

  /** The JetStream work queue dispatches go to (set up on first use); only with `workQueue`. */
  dispatchQueue(): Promise<DispatchQueue> {
    const settings = this.extras.workQueue;
    if (!settings) return Promise.reject(new Error('this client sends dispatches over core NATS (no workQueue)'));
    this.queue ??= DispatchQueue.open(this.natsConnection, settings, { warn: this.warn }).catch((error: unknown) => {
      this.queue = undefined;
      throw new Error(`cannot set up the JetStream work queue on ${this.where} (${reasonOf(error)}); is nats-server running with JetStream (-js)?`);
    });
    return this.queue;
  }

  override async close(): Promise<void> {
    const queue = await this.queue?.catch(() => undefined);
    queue?.close();
    await super.close();
  }

  // Nest logs a bare `NatsError: type: "disconnect"`; say which server, and that nothing is lost yet.
  private async reportConnection(client: { status(): AsyncIterable<{ type: string; server?: string }> }): Promise<void> {
    for await (const status of client.status()) {
      if (status.type === 'disconnect') this.warn(`lost the connection to NATS at ${status.server ?? this.where}; reconnecting every 250 ms, outgoing messages are buffered meanwhile`);
      if (status.type === 'reconnect') this.warn(`reconnected to NATS at ${status.server ?? this.where}`);
    }
  }

  override send<TResult = any, TInput = any>(pattern: any, data: TInput): Observable<TResult> {
    if (pattern !== Patterns.distill) return super.send<TResult, TInput>(pattern, data);
    const { tries, perTryMs, firstDelayMs, maxDelayMs } = this.retryPolicy;
    const operation = `${Patterns.distill} request on ${this.where}`;
    const once = () => super.send<TResult, TInput>(pattern, data);
    return defer(() =>
      once().pipe(timeout({ first: perTryMs, with: () => throwError(() => new Error(`no distiller answered within ${perTryMs} ms`)) })),
    ).pipe(
      retry({
        count: tries - 1,
        delay: (error: unknown, attempt: number) => {
          const wait = Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1));
          this.warn(`${operation} failed (try ${attempt} of ${tries}): ${reasonOf(error)}; retrying in ${wait} ms`);
          return timer(wait);
        },
      }),
      catchError((error: unknown) => throwError(() => new Error(`${operation} failed after ${tries} tries: ${reasonOf(error)}`))),
    );
  }

  protected override publish(partialPacket: ReadPacket, callback: (packet: WritePacket) => any): () => void {
    const { security } = this.extras;
    if (!security) return super.publish(partialPacket, callback);
    // The reply must echo this nonce: it binds the answer to this request, and to nothing later.
    const nonce = randomUUID();
    this.pending.add(nonce);
    const request = { ...(partialPacket.data as object), nonce };
    const teardown = super.publish({ ...partialPacket, data: seal(security.identity, String(partialPacket.pattern), request) }, callback);
    return () => {
      this.pending.delete(nonce);
      teardown();
    };
  }

  protected override async dispatchEvent(packet: ReadPacket): Promise<any> {
    const { security, ledger } = this.extras;
    const subject = String(packet.pattern);
    try {
      const queued = subject === Patterns.dispatchExperiment && this.extras.workQueue !== undefined;
      if (!security && !queued) return await super.dispatchEvent(packet);
      let message = packet.data as Record<string, unknown>;
      if (subject === Patterns.dispatchExperiment && ledger) {
        message = { ...message, nonce: ledger.issue(message as { searchId: string; experimentId: string; nodeId: string }) };
      }
      const data = security ? seal(security.identity, subject, message) : message;
      if (!queued) return await super.dispatchEvent({ ...packet, data });
      await (await this.dispatchQueue()).publish(message as { searchId: string; experimentId: string; nodeId: string }, JSON.stringify(data));
    } catch (error) {
      throw new Error(`publish to ${subject} on ${this.where} failed: ${reasonOf(error)}`);
    }
  }
}
