import { Transport, type ClientProxy, type NatsOptions } from '@nestjs/microservices';
import type { ServiceIdentity } from '../auth/identity.js';
import { HypotreeNatsClient, type HypotreeClientOptions } from './client.js';
import { ContractDeserializer, type InboundPolicy } from './deserializer.js';
import { SealingSerializer } from './replies.js';
import { connectionOptions, type NatsConnection } from './servers.js';

/** How a service sits on NATS: its default queue group, and on close (with `gracePeriodMs`) unsubscribe first and let in-flight handlers answer. */
export interface NatsServerBehaviour {
  /** A queue group for every handler that names none (handlers' own `{ queue }` extras win). */
  queue?: string;
  gracePeriodMs?: number;
  /** The service's own key: it authenticates the connection and, with `repliesTo`, signs the replies. */
  identity?: ServiceIdentity;
  /** The request pattern this service answers (its replies are signed). */
  repliesTo?: string;
  /** Who must have signed what this service receives. */
  inbound?: InboundPolicy;
}

/**
 * The Nest microservice options that put an app's handlers on NATS subjects (`Patterns`).
 * Nest 12's NATS server subscribes each handler with `handler.extras.queue ?? options.queue`, so
 * `@EventPattern(p, { queue: EXECUTOR_QUEUE })` makes executors competing consumers (one gets each
 * dispatch), while handlers without a queue (the coordinator's report handlers) get every message.
 */
export function natsMicroservice(connection: NatsConnection, behaviour: NatsServerBehaviour = {}): NatsOptions {
  return {
    transport: Transport.NATS,
    options: {
      // A server starts after its service's client connected: if the broker went away since, wait for it.
      ...connectionOptions(connection, behaviour.identity, true),
      queue: behaviour.queue,
      deserializer: new ContractDeserializer(behaviour.inbound),
      ...(behaviour.identity && behaviour.repliesTo ? { serializer: new SealingSerializer(behaviour.identity, behaviour.repliesTo) } : {}),
      gracefulShutdown: behaviour.gracePeriodMs !== undefined,
      gracePeriod: behaviour.gracePeriodMs,
    },
  };
}

/** A Nest client on NATS: `emit()` publishes an event (a dispatch, a report); `send()` is request/reply (distill), retried with backoff. */
export function natsClient(connection: NatsConnection, extras: HypotreeClientOptions = {}): ClientProxy {
  // Nest types ClientNats' status stream as NatsStatus, ClientProxy's as string: the same values.
  return new HypotreeNatsClient(connection, extras) as unknown as ClientProxy;
}

/**
 * Connects a NATS client now, so an unreachable server is one clear error at start-up instead of
 * lost messages later. A server that is not there yet (restarting) gets `patienceMs` to come back,
 * tried every 250 ms; credentials it refuses fail at once.
 */
export async function connectNats(client: { connect(): Promise<unknown> }, connection: NatsConnection, patienceMs = 60_000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      await client.connect();
      return;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const refused = /authori[sz]ation|permission/i.test(reason);
      if (refused || Date.now() >= deadline) {
        throw new Error(`cannot reach NATS at ${connection.servers.join(', ')} (${reason}); start nats-server there, pass another --nats URL, or check the service's nkey (HYPOTREE_NKEY_FILE) is one the server knows`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

let warnedOpen = false;

/** Warns once per process that the bus is open (no credentials): anyone on that NATS server can forge dispatches and results. */
export function warnOpenBus(log: { warn(message: string): void }, servers: string[]): void {
  if (warnedOpen) return;
  warnedOpen = true;
  log.warn(
    `NATS at ${servers.join(', ')} without credentials: messages are neither authenticated nor signed, so any client of that server can forge dispatches, results and insights. ` +
      'Set HYPOTREE_NKEY_FILE and HYPOTREE_TRUST_FILE (README, Distributed mode).',
  );
}
