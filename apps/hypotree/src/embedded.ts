import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { CoordinatorModule, parseSearchConfig, SearchRun, SearchRuns, worktreeEvaluators, type SearchConfig, type SearchConfigInput, type SearchSummary } from '@hypotree/coordinator';
import { DistillerModule } from '@hypotree/distiller';
import { ExecutorModule } from '@hypotree/executor';
import { SearchLog } from '@hypotree/event-store';
import { DistillReplySchema, InProcessBus, InProcessClient, InProcessServer, parseMessage, Patterns } from '@hypotree/messaging';
import { buildPolicies, type PolicyParams } from '@hypotree/policy';
import { loadTask } from '@hypotree/task';
import { fold, type SearchTree } from '@hypotree/tree';
import { prepareArtifact } from '@hypotree/workspace';
import { defaultStoreUrl, openStore } from './store.js';
import { distillerFor, proposerFor } from './research.js';

export interface EmbeddedRunOptions {
  config: SearchConfigInput;
  /** Event store URL; defaults to the SQLite file under the workdir. */
  store?: string;
  onProgress?: (tree: SearchTree, note: string) => void;
  /** Nest's logger for the services (false: silent). */
  logger?: LoggerService | false;
}

/** An actor identity for events written by this process. */
export function actor(service: string) {
  return { service, instance: `${os.hostname()}-${process.pid}` };
}

/** A fresh search id: the task name, the date and a random suffix. */
export function newSearchId(taskName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${taskName}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * Runs one search with every service in this process: coordinator, executors and distiller as
 * Nest microservices over the in-process transport (the same contracts as over NATS), the log in
 * SQLite. With an existing search id it resumes from the log, under the configuration recorded there.
 */
export async function runEmbedded(options: EmbeddedRunOptions): Promise<SearchSummary> {
  let config = parseSearchConfig(options.config);
  const task = loadTask(config.task);
  const store = await openStore(options.store ?? defaultStoreUrl(config.workdir));
  const apps: INestMicroservice[] = [];
  try {
    const log = new SearchLog(store, actor('coordinator'));
    const searchId = config.searchId ?? newSearchId(task.spec.name);
    config = recordedConfig(config, fold(await log.history(searchId)));
    const repo = await prepareArtifact(task, config.workdir);

    const bus = new InProcessBus();
    const client = new InProcessClient(bus);
    const logger = options.logger ?? false;
    const start = async (module: Parameters<typeof NestFactory.createMicroservice>[0]) => {
      const app = await NestFactory.createMicroservice(module, { strategy: new InProcessServer(bus), logger });
      await app.listen();
      apps.push(app);
      return app;
    };
    const coordinator = await start(CoordinatorModule);
    await start(ExecutorModule.register({ executorId: actor('executor').instance, capacity: config.budget.parallel, client }));
    await start(DistillerModule.register({ log: new SearchLog(store, actor('distiller')), distiller: distillerFor(config) }));

    const run = new SearchRun(
      {
        log,
        task,
        baseCommit: repo.baseCommit,
        config,
        policies: buildPolicies(config.policies),
        proposer: proposerFor(config),
        evaluators: worktreeEvaluators(task, repo),
        dispatch: async (command) => void (await lastValueFrom(client.emit(Patterns.dispatchExperiment, command), { defaultValue: undefined })),
        distill: async (request) => parseMessage(DistillReplySchema, Patterns.distill, await lastValueFrom(client.send(Patterns.distill, request))),
        orphans: 'expire-now',
        onProgress: options.onProgress,
        logger: logger || undefined,
      },
      searchId,
    );
    const runs = coordinator.get(SearchRuns);
    runs.add(run);
    try {
      return await run.run();
    } finally {
      runs.remove(searchId);
    }
  } finally {
    for (const app of apps.reverse()) await app.close();
    await store.close();
  }
}

// A resumed search runs under the budget, policies and research settings it was started with:
// the log, not today's command line, says what the search is.
function recordedConfig(config: SearchConfig, tree: SearchTree): SearchConfig {
  const started = tree.started;
  if (!started) return config;
  const policies: PolicyParams = {
    selection: started.policies.selection.params,
    admission: started.policies.admission.params,
    refinement: started.policies.refinement.params,
  } as PolicyParams;
  return {
    ...config,
    searchId: tree.searchId,
    budget: started.budget,
    seed: started.seed,
    policies: policies as SearchConfig['policies'],
    research: { ...config.research, proposer: started.research.proposer as SearchConfig['research']['proposer'], distiller: started.research.distiller as SearchConfig['research']['distiller'], insights: started.research.insights, model: started.research.model },
  };
}
