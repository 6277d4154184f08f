import { connectNats, natsClient, natsMicroservice, parseNatsServers } from '@hypotree/messaging';
import { actor, coordinateSearch, type SearchRunOptions } from './coordinate.js';
import type { SearchSummary } from './summary.js';

/** A `hypotree run` whose executors and distiller are remote services on NATS. */
export interface DistributedRunOptions extends SearchRunOptions {
  /** NATS URL(s): `nats://host:4222`, comma-separated for a cluster. */
  nats: string;
  /** How long to wait for a distiller's reply before going on without new insights. */
  distillTimeoutMs?: number;
}

/**
 * Runs one search with the coordinator in this process on NATS, and no executor or distiller of
 * its own: dispatches go to the executors' queue group, distill requests to the distillers'.
 * Executors need the task folder and the workdir at the same paths (a shared filesystem).
 * In-flight experiments found on resume keep a lease, since their executors may still report.
 */
export async function runDistributed(options: DistributedRunOptions): Promise<SearchSummary> {
  const connection = { servers: parseNatsServers(options.nats), name: `hypotree-coordinator-${actor('coordinator').instance}` };
  const client = natsClient(connection);
  try {
    await connectNats(client, connection);
    return await coordinateSearch(options, {
      server: () => natsMicroservice(connection),
      client,
      orphans: 'wait-for-lease',
      distillTimeoutMs: options.distillTimeoutMs ?? 120_000,
    });
  } finally {
    await client.close();
  }
}
