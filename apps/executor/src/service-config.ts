import os from 'node:os';
import path from 'node:path';
import { NatsServersSchema, parseServiceConfig, type SettingSource } from '@hypotree/messaging';
import { z } from 'zod';

/** A long-lived executor service's configuration, validated once at start-up. */
export const ExecutorServiceConfigSchema = z.object({
  nats: NatsServersSchema,
  executorId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ., - and _').default(() => `${os.hostname()}-${process.pid}`),
  /** Experiments run at once (each one its own child process). */
  capacity: z.coerce.number().int().positive().default(1),
  /** On SIGTERM/SIGINT: how long to let running experiments finish and report before exiting (their leases then expire). */
  drainMs: z.coerce.number().int().nonnegative().default(25_000),
  /**
   * This executor's own folder for tasks that travel as bundles (task copies, local repositories,
   * worktrees); any path on any machine. Default: ~/.hypotree-executor/<executor id>, one per
   * executor, so executors on one machine never share one.
   */
  workdir: z.string().min(1).optional(),
});
export type ExecutorServiceConfig = z.infer<typeof ExecutorServiceConfigSchema>;
/** The raw settings, from flags or the environment (strings), before validation. */
export type ExecutorServiceInput = { [K in keyof ExecutorServiceConfig]?: string | number };

const SOURCES: Record<keyof ExecutorServiceConfig, SettingSource> = {
  nats: { flag: '--nats', env: 'HYPOTREE_NATS_URL' },
  executorId: { flag: '--id', env: 'HYPOTREE_EXECUTOR_ID' },
  capacity: { flag: '--capacity', env: 'HYPOTREE_EXECUTOR_CAPACITY' },
  drainMs: { flag: '--drain-ms', env: 'HYPOTREE_DRAIN_MS' },
  workdir: { flag: '--workdir', env: 'HYPOTREE_EXECUTOR_WORKDIR' },
};

/** Validates an executor's settings (flags win over the environment); one error lists every bad field and where to set it. */
export function parseExecutorServiceConfig(fromFlags: ExecutorServiceInput, env: NodeJS.ProcessEnv = process.env): ExecutorServiceConfig {
  return parseServiceConfig('executor', ExecutorServiceConfigSchema, SOURCES, fromFlags, env);
}

/** The executor's own folder: its `workdir`, or ~/.hypotree-executor/<executor id>. */
export function executorWorkdir(config: Pick<ExecutorServiceConfig, 'workdir' | 'executorId'>): string {
  return path.resolve(config.workdir ?? path.join(os.homedir(), '.hypotree-executor', config.executorId));
}
