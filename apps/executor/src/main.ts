import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import os from 'node:os';
import { executorOfKey, securityFromEnv, untilStopped } from '@hypotree/messaging';
import { parseExecutorServiceConfig, type ExecutorServiceInput } from './service-config.js';
import { startExecutorService } from './service.js';

/** Runs an executor service until SIGTERM/SIGINT: `node apps/executor/dist/main.js --nats nats://… [--id X] [--capacity N] [--drain-ms MS]` (credentials: HYPOTREE_NKEY_FILE, HYPOTREE_TRUST_FILE). */
export async function serveExecutor(flags: ExecutorServiceInput, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const security = securityFromEnv(env);
  // Replicas sharing one key (a Deployment's pods) report as <its trust-list name>.<host>-<pid> unless given an id.
  const named = security && executorOfKey(security.trust, security.identity.publicKey);
  const executorId = flags.executorId ?? (env.HYPOTREE_EXECUTOR_ID || (named ? `${named}.${os.hostname()}-${process.pid}` : undefined));
  const service = await startExecutorService(parseExecutorServiceConfig({ ...flags, executorId }, env), undefined, security);
  await untilStopped(() => service.stop(), new Logger('ExecutorService'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { values } = parseArgs({ options: { nats: { type: 'string' }, id: { type: 'string' }, capacity: { type: 'string' }, 'drain-ms': { type: 'string' }, workdir: { type: 'string' } } });
    await serveExecutor({ nats: values.nats, executorId: values.id, capacity: values.capacity, drainMs: values['drain-ms'], workdir: values.workdir });
  } catch (error) {
    console.error(`hypotree executor: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
