import { ClientProxyFactory, Transport, type ClientProxy, type NatsOptions } from '@nestjs/microservices';
import { ContractDeserializer } from './deserializer.js';
import type { NatsConnection } from './servers.js';

/** How a service sits on NATS: its default queue group, and on close (with `gracePeriodMs`) unsubscribe first and let in-flight handlers answer. */
export interface NatsServerBehaviour {
  /** A queue group for every handler that names none (handlers' own `{ queue }` extras win). */
  queue?: string;
  gracePeriodMs?: number;
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
      servers: connection.servers,
      name: connection.name,
      queue: behaviour.queue,
      deserializer: new ContractDeserializer(),
      gracefulShutdown: behaviour.gracePeriodMs !== undefined,
      gracePeriod: behaviour.gracePeriodMs,
    },
  };
}

/** A Nest client on NATS: `emit()` publishes an event (a dispatch, a report); `send()` is request/reply (distill). */
export function natsClient(connection: NatsConnection): ClientProxy {
  return ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: connection.servers, name: connection.name } });
}

/** Connects a NATS client now, so an unreachable server is one clear error at start-up instead of lost messages later. */
export async function connectNats(client: ClientProxy, connection: NatsConnection): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot reach NATS at ${connection.servers.join(', ')} (${reason}); start nats-server there or pass another --nats URL`);
  }
}
