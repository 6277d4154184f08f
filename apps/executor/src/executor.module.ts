import { Module, type DynamicModule } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { Patterns } from '@hypotree/messaging';
import { lastValueFrom } from 'rxjs';
import { ExecutorController } from './executor.controller.js';
import { ExperimentRunner, type BundleSite } from './experiment-runner.js';

export interface ExecutorOptions {
  executorId: string;
  /** Experiments run at once by this executor (each is its own child process). */
  capacity: number;
  /** Where reports go: a client of the same transport the dispatches come from. */
  client: ClientProxy;
  /** For tasks that travel as bundles (no shared filesystem): this executor's own folder and the object store. */
  bundles?: BundleSite;
}

/** The executor service: takes dispatches, runs experiments in worktrees, reports evidence. */
@Module({})
export class ExecutorModule {
  /** The module for one executor instance. */
  static register(options: ExecutorOptions): DynamicModule {
    const emit = (pattern: string) => async (data: unknown) => void (await lastValueFrom(options.client.emit(pattern, data), { defaultValue: undefined }));
    const runner = new ExperimentRunner(options.executorId, {
      started: emit(Patterns.experimentStarted),
      heartbeat: emit(Patterns.experimentHeartbeat),
      result: emit(Patterns.experimentResult),
    }, options.capacity, undefined, options.bundles);
    return { module: ExecutorModule, controllers: [ExecutorController], providers: [{ provide: ExperimentRunner, useValue: runner }] };
  }
}
