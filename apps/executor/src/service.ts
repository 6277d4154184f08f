import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ArtifactStore, ARTIFACTS_BUCKET,
  connectNats, DispatchExperimentSchema, executorInbox, natsClient, natsMicroservice, open, parseMessage, Patterns, pullDispatches, RefusedMessage, signersOf,
  speaksFor, warnOpenBus, workingEveryMs, type BusSecurity, type HypotreeNatsClient, type QueuedDispatch, type Signers,
} from '@hypotree/messaging';
import { sandboxMode } from '@hypotree/workspace';
import { ExecutorModule } from './executor.module.js';
import { ExperimentRunner } from './experiment-runner.js';
import { executorWorkdir, type ExecutorServiceConfig } from './service-config.js';

/** A running executor service. */
export interface ExecutorService {
  readonly executorId: string;
  /** Stops taking dispatches, lets running experiments finish and report (up to `drainMs`), then disconnects. */
  stop(): Promise<void>;
}

/**
 * Starts an executor on NATS: it pulls dispatches from the JetStream work queue, one per free slot
 * (and listens in the executors' queue group for core NATS dispatches), runs experiments in
 * worktrees (for tasks sent as bundles, under its own `workdir`) and reports started, heartbeats
 * and evidence. With
 * `security` it connects with its nkey, runs only dispatches a trusted coordinator signed, and
 * signs its reports (which echo the dispatch's nonce); without, it warns once that the bus is open.
 */
export async function startExecutorService(
  config: ExecutorServiceConfig,
  logger: LoggerService | LogLevel[] | false = ['log', 'warn', 'error'],
  security?: BusSecurity,
): Promise<ExecutorService> {
  const log = new Logger('ExecutorService');
  // The trust list's name for this executor's key (the key must speak for this id); its inbox is named after it.
  const keyName = security && Object.entries(security.trust.executors).find(([name, key]) => key === security.identity.publicKey && speaksFor(name, config.executorId))?.[0];
  if (security && keyName === undefined) {
    const named = Object.entries(security.trust.executors).find(([, key]) => key === security.identity.publicKey)?.[0];
    throw new Error(
      `executor ${config.executorId}: the trust list does not give this id this nkey (${security.identity.publicKey.slice(0, 12)}…)` +
        (named ? `; it is executor ${named}'s key: start with --id ${named} (or ${named}.<instance> for replicas sharing it)` : '; add it to the trust list under executors, or use the seed made for this executor'),
    );
  }
  if (!security) warnOpenBus(log, config.nats);
  // Its own reply subjects: the work queue delivers pulled dispatches there, and only this key may listen.
  const connection = { servers: config.nats, name: `hypotree-executor-${config.executorId}`, ...(keyName ? { inboxPrefix: executorInbox(keyName) } : {}) };
  const client = natsClient(connection, { security, logger: log });
  await connectNats(client, connection);
  // Opened on the first task sent as bundles (the coordinator creates the bucket).
  let artifacts: Promise<ArtifactStore> | undefined;
  const openArtifacts = () =>
    ArtifactStore.open((client as unknown as HypotreeNatsClient).natsConnection, { create: false, log }).catch((error: unknown) => {
      artifacts = undefined;
      throw new Error(`cannot open the ${ARTIFACTS_BUCKET} object store on ${config.nats.join(', ')}: ${(error as Error).message}`);
    });
  const inbound = security ? { signers: { [Patterns.dispatchExperiment]: signersOf(security.trust).coordinator } } : undefined;
  const app = await NestFactory.createMicroservice(
    ExecutorModule.register({ executorId: config.executorId, capacity: config.capacity, client, bundles: { workdir: executorWorkdir(config), artifacts: () => (artifacts ??= openArtifacts()) } }),
    { ...natsMicroservice(connection, { identity: security?.identity, inbound }), logger },
  );
  await app.listen();
  log.log(`executor ${config.executorId} takes experiments from ${config.nats.join(', ')} (capacity ${config.capacity}; ${security ? 'signed, nkey ' + security.identity.publicKey.slice(0, 12) + '…' : 'open bus'})`);
  const sandbox = sandboxMode();
  if (sandbox.kind === 'none') {
    log.warn(`no sandbox here (${sandbox.reason}): agent and llm experiments fail unless their search allows it, and a search started with the sandbox rejects this executor's evidence`);
  }
  const runner = app.get(ExperimentRunner);
  // The JetStream work queue, besides the core NATS queue group: pulled one at a time, while there is room.
  const pulling = new AbortController();
  const coordinators = security && signersOf(security.trust).coordinator;
  const pulled = pullDispatches((client as unknown as HypotreeNatsClient).natsConnection, {
    room: () => runner.room(),
    take: (queued) => takeQueued(runner, queued, coordinators, log),
    log,
    signal: pulling.signal,
  });
  return {
    executorId: config.executorId,
    async stop() {
      pulling.abort();
      await pulled;
      await app.close();
      const deadline = Date.now() + config.drainMs;
      while (runner.load > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (runner.load > 0) log.warn(`left ${runner.load} experiment(s) unfinished; their leases will expire and the coordinator re-dispatches them`);
      await client.close();
    },
  };
}

// A dispatch pulled from the work queue: run if a trusted coordinator signed it (on a secured bus)
// and it keeps the contract. A forgery is dropped for good (discarded); a signed dispatch this executor
// cannot read goes back for another executor, and is dead-lettered if none can.
function takeQueued(runner: ExperimentRunner, queued: QueuedDispatch, coordinators: Signers | undefined, log: Logger): void {
  let payload = queued.data;
  if (coordinators) {
    const opened = open(payload, Patterns.dispatchExperiment, coordinators);
    if (opened instanceof RefusedMessage) {
      log.warn(`rejected a queued dispatch: ${opened.reason}`);
      return queued.discard();
    }
    payload = opened.message;
  }
  try {
    const command = parseMessage(DispatchExperimentSchema, Patterns.dispatchExperiment, payload);
    runner.accept(command, { count: queued.deliveryCount, workingEveryMs: workingEveryMs(command.leaseMs), working: queued.working, ack: queued.ack, nak: queued.nak });
  } catch (error) {
    log.warn((error as Error).message);
    if (coordinators) queued.nak();
    else queued.discard();
  }
}
