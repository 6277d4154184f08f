import {
  connectNats,
  DispatchLedger,
  type HypotreeNatsClient,
  natsClient,
  natsMicroservice,
  parseNatsServers,
  reportPolicy,
  securityFromEnv,
  warnOpenBus,
  type BusSecurity,
  type RequestRetry,
  workQueueFor,
  ArtifactStore,
  commitObjectName,
  sha256,
  taskObjectName,
} from '@hypotree/messaging';
import path from 'node:path';
import type { NatsConnection as NatsConnectionHandle } from '@nats-io/transport-node';
import { bundleCommit, importCommit, nodeRef, packTask } from '@hypotree/workspace';
import { parseSearchConfig } from '@hypotree/search';
import { actor, coordinateSearch, type SearchRunOptions, type SearchWiring } from './coordinate.js';
import type { SearchSummary } from './summary.js';

/** A `hypotree run` whose executors and distiller are remote services on NATS. */
export interface DistributedRunOptions extends SearchRunOptions {
  /** NATS URL(s): `nats://host:4222`, comma-separated for a cluster. */
  nats: string;
  /** How long to wait for a distiller's reply, over all its retries, before going on without new insights. */
  distillTimeoutMs?: number;
  /** How a failed distill request is retried (default: 4 tries of up to 30 s, 1 s, 2 s, 4 s apart). */
  distillRetry?: RequestRetry;
  /**
   * How dispatches reach executors: `jetstream` (default) queues them in a JetStream work queue,
   * where they wait for a free executor, are redelivered when one goes silent and are
   * dead-lettered after `maxDeliver` deliveries; `core` publishes them on core NATS to the
   * executors' queue group (a dispatch nobody hears is lost until its lease runs out).
   */
  dispatch?: 'jetstream' | 'core';
  /** Deliveries of a queued dispatch before it is dead-lettered (default 3). */
  maxDeliver?: number;
  /**
   * How executors get the task and the commits: `bundles` (default) sends them through JetStream's
   * object store (the task without its sealed data, each commit as a git bundle), so executors need
   * no shared folder; `shared` has them read the coordinator's paths (a shared filesystem).
   */
  transfer?: 'shared' | 'bundles';
  /**
   * The coordinator's nkey and the trust list; default: from HYPOTREE_NKEY_FILE and
   * HYPOTREE_TRUST_FILE; `false`: an open bus (a warning, once).
   */
  security?: BusSecurity | false;
}

/**
 * Runs one search with the coordinator in this process on NATS, and no executor or distiller of
 * its own: dispatches go to the JetStream work queue (or, with `dispatch: 'core'`, to the executors'
 * queue group), distill requests to the distillers' queue group. The task and commits travel as
 * bundles through the object store unless `transfer: 'shared'` (then executors need the task folder
 * and the workdir at the same paths). In-flight experiments found on resume keep a lease, since
 * their executors may still report (nonces are derived from the coordinator's key, so a restart with
 * the same key still admits them). The connection rides out broker restarts; a distill request that
 * keeps failing is recorded (DistillationFailed), and the search goes on without that insight.
 */
export async function runDistributed(options: DistributedRunOptions): Promise<SearchSummary> {
  const connection = { servers: parseNatsServers(options.nats), name: `hypotree-coordinator-${actor('coordinator').instance}` };
  const security = options.security === undefined ? securityFromEnv() : options.security || undefined;
  // Like the search loop's: to the services' logger, else to stderr (never silent).
  const { logger } = options;
  const warnings = { warn: (m: string) => (logger ? logger.warn(m) : console.error(`hypotree: warning: ${m}`)) };
  if (!security) warnOpenBus(warnings, connection.servers);
  // Nonces derived from the coordinator's key: a restarted coordinator still hears executors working on its predecessor's dispatches.
  const ledger = new DispatchLedger({ secret: security?.identity.seed });
  const queued = (options.dispatch ?? 'jetstream') === 'jetstream';
  const workQueue = queued ? workQueueFor(parseSearchConfig(options.config).leaseMs, options.maxDeliver) : undefined;
  const client = natsClient(connection, { security, ledger, retry: options.distillRetry, logger: warnings, workQueue });
  try {
    await connectNats(client, connection);
    const queue = workQueue && (await (client as unknown as HypotreeNatsClient).dispatchQueue());
    return await coordinateSearch(options, {
      server: () => natsMicroservice(connection, { identity: security?.identity, inbound: security ? reportPolicy(security, ledger) : undefined }),
      client,
      orphans: 'wait-for-lease',
      distillTimeoutMs: options.distillTimeoutMs,
      ...((options.transfer ?? 'bundles') === 'bundles' && { transfer: bundleTransfer((client as unknown as HypotreeNatsClient).natsConnection, warnings) }),
      ...(queue && {
        leaseFrom: 'start' as const,
        stillQueued: (dispatch) => queue.holds(dispatch),
        undeliverable: (notify) =>
          queue.onDead((letter) => {
            const reason = `dead-lettered after ${letter.deliveries} deliveries: no executor finished it (kept in ${letter.subject}); not dispatched again`;
            warnings.warn(`${letter.experimentId} of search ${letter.searchId} ${reason}`);
            notify({ ...letter, reason });
          }),
      }),
    });
  } finally {
    await client.close();
  }
}

/**
 * The coordinator's side of executors without a shared filesystem: the task bundle and the base
 * commit go into the object store before the first dispatch, and each result's commit is fetched
 * from it and checked (the bundle carries exactly the commit the signed result names, under the
 * node's own ref) before the result is recorded.
 */
function bundleTransfer(nc: NatsConnectionHandle, log: { warn(message: string): void }): NonNullable<SearchWiring['transfer']> {
  let artifacts: ArtifactStore | undefined;
  return {
    sendSpec: true,
    async prepare({ task, repo }) {
      const store = await ArtifactStore.open(nc, { create: true, log });
      // The search's workdir (the task's working folder's parent) may lie inside the task folder: it is not sent.
      const bytes = packTask(task, repo.baseCommit, [path.dirname(repo.workdir)]);
      const digest = sha256(bytes);
      await store.put(taskObjectName(digest), bytes);
      await store.put(commitObjectName(repo.baseCommit), await bundleCommit(repo, repo.baseCommit));
      artifacts = store;
      return (command) => ({ ...command, transfer: { task: taskObjectName(digest), sha256: digest } });
    },
    async admitResult({ repo }, message) {
      const { commit, ref } = message.evidence;
      if (commit === undefined) return undefined;
      const expected = nodeRef(message.searchId, message.nodeId);
      if (ref !== expected) return `its commit is kept under ${String(ref)}, not the node's ref ${expected}`;
      let bytes: Uint8Array;
      try {
        bytes = await artifacts!.get(commitObjectName(commit));
      } catch (error) {
        return `its commit ${commit} is not available as a bundle: ${(error as Error).message}`;
      }
      try {
        await importCommit(repo.path, bytes, commit, expected);
      } catch (error) {
        return (error as Error).message;
      }
      return undefined;
    },
  };
}
