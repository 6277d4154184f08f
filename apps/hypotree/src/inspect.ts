import { SearchLog } from '@hypotree/event-store';
import { emptyTree, evolve, fold, renderTree, searchCounts, type SearchTree } from '@hypotree/tree';
import { actor } from './embedded.js';
import { openEventStore } from '@hypotree/event-store';

/** Opens the log read-only for one command and closes it after. */
async function withLog<T>(storeUrl: string, use: (log: SearchLog) => Promise<T>): Promise<T> {
  const store = openEventStore(storeUrl);
  try {
    return await use(new SearchLog(store, actor('cli')));
  } finally {
    await store.close();
  }
}

/** The tree of a search as text; throws when the search does not exist. */
export async function showTree(storeUrl: string, searchId: string, insights: boolean): Promise<string> {
  return withLog(storeUrl, async (log) => {
    const history = await log.history(searchId);
    if (history.length === 0) throw new Error(`no search ${searchId} in ${storeUrl}`);
    return renderTree(fold(history), { insights });
  });
}

export interface RebuildReport {
  searchId: string;
  events: number;
  nodes: number;
  ms: number;
  /** The batch fold equals the event-by-event projection the coordinator keeps while it runs. */
  consistent: boolean;
  revision: number;
}

/**
 * Rebuilds a search's projection from revision 0, timing the fold, and checks it against the
 * projection built one event at a time (how the live coordinator maintains it).
 */
export async function rebuild(storeUrl: string, searchId: string): Promise<RebuildReport> {
  return withLog(storeUrl, async (log) => {
    const history = await log.history(searchId);
    if (history.length === 0) throw new Error(`no search ${searchId} in ${storeUrl}`);
    const started = process.hrtime.bigint();
    const tree = fold(history);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const live = history.reduce((t, e) => evolve(t, e), emptyTree());
    return {
      searchId,
      events: history.length,
      nodes: searchCounts(tree).nodes,
      ms: Math.round(ms * 1000) / 1000,
      consistent: canonical(tree) === canonical(live),
      revision: tree.revision,
    };
  });
}

/** The searches in a log, with their task and status. */
export async function listSearches(storeUrl: string): Promise<{ searchId: string; task: string; status: string }[]> {
  return withLog(storeUrl, async (log) => {
    const found: { searchId: string; task: string; status: string }[] = [];
    for await (const e of log.store.readAll({ filter: { streamPrefix: ['search-'], eventTypes: ['SearchStarted', 'SearchBranched'] } })) {
      const searchId = (e.data as { searchId: string }).searchId;
      const tree = fold(await log.history(searchId));
      found.push({ searchId, task: tree.started?.task.name ?? '?', status: tree.finalTest ? 'done' : tree.completed ? 'completed' : 'open' });
    }
    return found;
  });
}

function canonical(tree: SearchTree): string {
  return JSON.stringify(tree, (_key, value: unknown) => (value instanceof Map ? [...value.entries()].sort(([a], [b]) => (a < b ? -1 : 1)) : value));
}
