import { SearchLog } from '@hypotree/event-store';
import { emptyTree, fold, searchCounts, type SearchTree } from '@hypotree/tree';
import { actor } from './embedded.js';
import { openEventStore } from '@hypotree/event-store';

/** Opens the log for one command and closes it after. */
export async function withLog<T>(storeUrl: string, use: (log: SearchLog) => Promise<T>): Promise<T> {
  const store = openEventStore(storeUrl);
  try {
    return await use(new SearchLog(store, actor('cli')));
  } finally {
    await store.close();
  }
}

export interface RebuildReport {
  searchId: string;
  events: number;
  nodes: number;
  ms: number;
  /** No problem was found (see `problems`). */
  consistent: boolean;
  /** What disagrees, if anything: the rebuild against the incremental projection and against the recorded outcome. */
  problems: string[];
  revision: number;
}

/**
 * Rebuilds a search's projection from revision 0, timing the fold, and checks it: against the
 * projection built incrementally in small batches (how the live coordinator keeps it: folding each
 * append onto the tree it has), and against what the log itself recorded as the outcome (the gate
 * calls counted, the best node named by SearchCompleted and scored by FinalTestEvaluated).
 */
export async function rebuild(storeUrl: string, searchId: string): Promise<RebuildReport> {
  return withLog(storeUrl, async (log) => {
    const history = await log.history(searchId);
    if (history.length === 0) throw new Error(`no search ${searchId} in ${storeUrl}`);
    const started = process.hrtime.bigint();
    const tree = fold(history);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    let live = emptyTree();
    for (let i = 0; i < history.length; i += LIVE_BATCH) live = fold(history.slice(i, i + LIVE_BATCH), live);
    const problems: string[] = [];
    if (canonical(tree) !== canonical(live)) problems.push('the rebuild differs from the incremental projection');
    const gateEvents = history.filter((e) => e.type === 'GateEvaluated' || e.type === 'GateFailed').length;
    if (gateEvents !== tree.gateEvaluationsUsed) problems.push(`${gateEvents} gate events but ${tree.gateEvaluationsUsed} gate calls counted`);
    if (tree.finalTest && tree.finalTest.best.nodeId !== tree.completed?.bestNodeId) problems.push('the held-out test scored another node than the search chose');
    return { searchId, events: history.length, nodes: searchCounts(tree).nodes, ms: Math.round(ms * 1000) / 1000, consistent: problems.length === 0, problems, revision: tree.revision };
  });
}

// The coordinator appends a few events at a time; the check folds in batches of this size.
const LIVE_BATCH = 8;

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
