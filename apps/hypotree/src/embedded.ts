import { DistillerModule } from '@hypotree/distiller';
import { ExecutorModule } from '@hypotree/executor';
import { SearchLog } from '@hypotree/event-store';
import { actor, coordinateSearch, type SearchRunOptions, type SearchSummary } from '@hypotree/coordinator';
import { InProcessBus, InProcessClient, InProcessServer } from '@hypotree/messaging';
import { distillerFor, llmEndpoint } from '@hypotree/research';

export { actor, newSearchId } from '@hypotree/coordinator';

/** What an embedded run takes (the same as any `hypotree run`). */
export type EmbeddedRunOptions = SearchRunOptions;

/**
 * Runs one search with every service in this process: coordinator, executors and distiller as
 * Nest microservices over the in-process transport (the same contracts as over NATS), the log in
 * SQLite. With an existing search id it resumes from the log, under the configuration recorded there.
 */
export async function runEmbedded(options: EmbeddedRunOptions): Promise<SearchSummary> {
  const bus = new InProcessBus();
  const client = new InProcessClient(bus);
  return coordinateSearch(options, {
    server: () => ({ strategy: new InProcessServer(bus) }),
    client,
    // The executors lived in this process: experiments in flight at a crash died with it.
    orphans: 'expire-now',
    // A replay distills in the coordinator (its model calls answered from the memo), and one that may
    // not execute runs no experiment: neither needs the services it would not use.
    colocated: ({ config, store }) => [
      ...(options.replay && !options.replay.execute ? [] : [ExecutorModule.register({ executorId: actor('executor').instance, capacity: config.budget.parallel, client })]),
      ...(options.replay ? [] : [DistillerModule.register({ log: new SearchLog(store, actor('distiller')), distiller: distillerFor(config.research.distiller, () => llmEndpoint(config.research.model)) })]),
    ],
  });
}
