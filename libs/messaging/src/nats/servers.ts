import { z } from 'zod';
import { nkeyAuthenticator } from '@nats-io/transport-node';
import { issueText } from '@hypotree/events';
import type { ServiceIdentity } from '../auth/identity.js';

const NATS_URL = /^(nats|tls|ws|wss):\/\/[^\s,/]+(:\d+)?\/?$/;

/** NATS server URLs, from one `nats://host:port` or a comma-separated list of them. */
export const NatsServersSchema = z
  .string({ error: 'a NATS URL is required, e.g. nats://127.0.0.1:4222' })
  .transform((value) => value.split(',').map((url) => url.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string().regex(NATS_URL, 'expected nats://host:port (or tls://, ws://, wss://), comma-separated for a cluster'))
      .min(1, 'a NATS URL is required, e.g. nats://127.0.0.1:4222'),
  );

/** Where a service connects: the NATS servers and a connection name (shown by the server's monitoring). */
export interface NatsConnection {
  servers: string[];
  name?: string;
  /**
   * The prefix of this connection's reply subjects (default `_INBOX`). An executor on a secured bus
   * uses its own (`executorInbox`), so its permissions can let it hear its replies and no one else's.
   */
  inboxPrefix?: string;
}

/** The reply-subject prefix of the executors whose key the trust list names `name`. */
export function executorInbox(name: string): string {
  return `_INBOX_${name}`;
}

/** Parses `--nats` / `HYPOTREE_NATS_URL`; throws one error naming the value and what to write instead. */
export function parseNatsServers(value: string | undefined): string[] {
  const parsed = NatsServersSchema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid NATS URL ${JSON.stringify(value)}: ${issueText(parsed.error, { root: 'url' })}`);
  return parsed.data;
}

/**
 * The NATS client options every service connects with: its servers and name, its nkey if it has
 * one, and reconnecting for ever. `waitOnFirstConnect` also retries the first connection (a Nest
 * server started while the broker restarts); clients connect without it first, so an unreachable
 * server at start-up is one clear error.
 */
export function connectionOptions(connection: NatsConnection, identity?: ServiceIdentity, waitOnFirstConnect = false) {
  return {
    waitOnFirstConnect,
    servers: connection.servers,
    name: connection.name,
    ...(connection.inboxPrefix ? { inboxPrefix: connection.inboxPrefix } : {}),
    ...(identity ? { authenticator: nkeyAuthenticator(identity.seed) } : {}),
    // A broker restart must never end a service: reconnect for ever, a quarter second apart.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // One connection attempt: a broker that dies mid-handshake must not hold a start-up for 20 s.
    timeout: 5_000,
  };
}
