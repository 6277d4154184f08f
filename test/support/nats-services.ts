import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { startDistillerService, parseDistillerServiceConfig, type DistillerService } from '@hypotree/distiller';
import { parseExecutorServiceConfig, startExecutorService, type ExecutorService } from '@hypotree/executor';
import type { BusSecurity } from '@hypotree/messaging';

/** A logger that keeps what every service in this process said (Nest's loggers are process-wide). */
export class CapturingLogger implements LoggerService {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  log(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
  error(message: unknown): void {
    this.errors.push(String(message));
  }
  debug(): void {}
  verbose(): void {}
  fatal(message: unknown): void {
    this.errors.push(String(message));
  }
  /** Every warning that matches. */
  matching(pattern: RegExp): string[] {
    return this.warnings.filter((w) => pattern.test(w));
  }
}

/** Executors and a distiller in this process, on one NATS URL, each with its own security (or none). */
export interface ServiceSet {
  workdir: string;
  stop(): Promise<void>;
}

/** A temporary workdir readable by the sandboxed evaluators. */
export function makeWorkdir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Starts the given executors and (optionally) an offline distiller reading the workdir's SQLite log. */
export async function startServices(
  url: string,
  workdir: string,
  logger: LoggerService,
  executors: { id: string; security?: BusSecurity }[],
  distiller?: { security?: BusSecurity },
): Promise<ServiceSet> {
  const started: (ExecutorService | DistillerService)[] = [];
  try {
    for (const executor of executors) {
      // Each executor's own folder (tasks sent as bundles), kept with the test's files.
      const own = path.join(workdir, 'executors', executor.id);
      started.push(await startExecutorService(parseExecutorServiceConfig({ nats: url, executorId: executor.id, capacity: 1, drainMs: 0, workdir: own }, {}), logger, executor.security));
    }
    if (distiller) {
      const config = parseDistillerServiceConfig({ nats: url, store: `sqlite:${path.join(workdir, 'events.db')}`, instance: 'distiller-1' }, {});
      started.push(await startDistillerService(config, logger, distiller.security));
    }
  } catch (error) {
    for (const service of started) await service.stop();
    throw error;
  }
  return {
    workdir,
    async stop() {
      for (const service of started.reverse()) await service.stop();
    },
  };
}
