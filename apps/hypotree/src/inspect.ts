import { MalformedEventError, openEventStore, SearchLog, StreamIntegrityError, type EventStore } from '@hypotree/event-store';
import { EventValidationError, type RecordedSearchEvent } from '@hypotree/events';
import { reuseProblems } from '@hypotree/search';
import { bestVerified, emptyTree, fold, searchCounts, searchStatus, type SearchStatus, type SearchTree } from '@hypotree/tree';
import { actor } from './embedded.js';

/**
 * Opens an existing log for one command and closes it after. Reading never creates a log: a missing
 * file (or workdir) is one error naming the path.
 */
export async function withLog<T>(storeUrl: string, use: (log: SearchLog) => Promise<T>): Promise<T> {
  const store = openEventStore(storeUrl, { mustExist: true });
  try {
    return await use(new SearchLog(store, actor('cli')));
  } finally {
    await store.close();
  }
}

export interface RebuildReport {
  searchId: string;
  /** Events folded; null when the log could not be read whole (see `problems`). */
  events: number | null;
  nodes: number | null;
  ms: number | null;
  /** No problem was found (see `problems`). */
  consistent: boolean;
  /**
   * What is wrong, if anything: a revision gap or step back (`stream@revision`), an event that cannot be
   * read, the rebuild against the incremental projection and against the recorded outcome.
   */
  problems: string[];
  revision: number | null;
}

/** Damage to the log itself, as opposed to a usage error: a rebuild reports it as a problem. */
function isLogDamage(error: unknown): error is Error {
  return error instanceof StreamIntegrityError || error instanceof MalformedEventError || error instanceof EventValidationError;
}

/**
 * Rebuilds a search's projection from revision 0, timing the fold, and checks it: that every stream
 * it reads runs 0, 1, 2, … with nothing missing or out of order (the search's own and, for a branch,
 * its parents' up to the branch revision), against the projection built incrementally in small
 * batches (how the live coordinator keeps it: folding each append onto the tree it has), and against
 * what the log itself recorded as the outcome (the gate calls counted, the best node named by
 * SearchCompleted and scored by FinalTestEvaluated).
 */
export async function rebuild(storeUrl: string, searchId: string): Promise<RebuildReport> {
  return withLog(storeUrl, async (log) => {
    let history: RecordedSearchEvent[];
    try {
      history = await log.history(searchId);
    } catch (error) {
      if (!isLogDamage(error)) throw error;
      return { searchId, events: null, nodes: null, ms: null, consistent: false, problems: [error.message], revision: null };
    }
    if (history.length === 0) throw new Error(`no search ${searchId} in ${storeUrl}`);
    const problems = revisionProblems(history);
    const started = process.hrtime.bigint();
    let tree: SearchTree;
    try {
      tree = fold(history);
    } catch (error) {
      problems.push(`the fold refuses the log: ${(error as Error).message}`);
      return { searchId, events: history.length, nodes: null, ms: null, consistent: false, problems, revision: history.at(-1)!.revision };
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    let live = emptyTree();
    for (let i = 0; i < history.length; i += LIVE_BATCH) live = fold(history.slice(i, i + LIVE_BATCH), live);
    if (canonical(tree) !== canonical(live)) problems.push('the rebuild differs from the incremental projection');
    const gateEvents = history.filter((e) => e.type === 'GateEvaluated' || e.type === 'GateFailed').length;
    if (gateEvents !== tree.gateEvaluationsUsed) problems.push(`${gateEvents} gate events but ${tree.gateEvaluationsUsed} gate calls counted`);
    if (tree.finalTest && tree.finalTest.best.nodeId !== tree.completed?.bestNodeId) problems.push('the held-out test scored another node than the search chose');
    // Reused evidence (a replay) must say what its source in the family says.
    if (tree.reused.experiments + tree.reused.gateEvaluations + tree.reused.devEvaluations + tree.reused.modelCalls + tree.reused.testScores > 0) {
      const family = new Map((await log.family(searchId)).flatMap((m) => m.history).map((e) => [e.id, e]));
      problems.push(...reuseProblems(history, family));
    }
    return { searchId, events: history.length, nodes: searchCounts(tree).nodes, ms: Math.round(ms * 1000) / 1000, consistent: problems.length === 0, problems, revision: tree.revision };
  });
}

/**
 * The rebuild's own check that the history it folds is contiguous: each stream's part runs from
 * revision 0 one by one (the reader refuses a gap already; this keeps the rebuild's verdict
 * independent of the reader it was given).
 */
function revisionProblems(history: RecordedSearchEvent[]): string[] {
  const next = new Map<string, number>();
  for (const e of history) {
    const expected = next.get(e.streamId) ?? 0;
    if (e.revision !== expected) {
      return [`${e.streamId}@${expected}: revisions not contiguous from 0 (revision ${e.revision} comes where ${expected} was due)`];
    }
    next.set(e.streamId, expected + 1);
  }
  return [];
}

// The coordinator appends a few events at a time; the check folds in batches of this size.
const LIVE_BATCH = 8;

/** A search's status, or `broken`: its log cannot be read. */
export type ListedStatus = SearchStatus | 'broken';

/** One search in a log, as `hypotree searches` lists it. */
export interface SearchListing {
  searchId: string;
  /** The task's name (null when the stream cannot be read). */
  task: string | null;
  /** When the search (or the branch) started, ISO 8601. */
  createdAt: string | null;
  /** open: running or stopped midway; completed: the search ended, no held-out test yet; done: tested; failed: ended by SearchFailed; broken: its log cannot be read. */
  status: ListedStatus;
  /** Experiments finished (succeeded or failed). */
  experiments: number | null;
  /** The node the search chose (completed), else the best verified so far. */
  best: string | null;
  /** The held-out relative gain, (S*−S0)/|S0|, once the final test ran. */
  heldOutGain: number | null;
  /** `parent@revision` for a branch. */
  branchedFrom: string | null;
  /** The search a replay re-ran (`hypotree replay`); null for any other search. */
  replayOf: string | null;
  /** Why the search is broken, or the reason it failed. */
  reason: string | null;
}

const STREAM_PREFIX = 'search-';

/**
 * The searches in a log, oldest first. A search whose stream cannot be read (a revision gap, an event
 * that does not decode) is listed as `broken`, with the reason; every other search is still listed.
 */
export async function listSearches(storeUrl: string): Promise<SearchListing[]> {
  return withLog(storeUrl, async (log) => {
    const listings: SearchListing[] = [];
    for (const searchId of await log.searchIds()) {
      const streamId = `${STREAM_PREFIX}${searchId}`;
      try {
        listings.push(listing(searchId, await log.history(searchId)));
      } catch (error) {
        listings.push({ ...(await peek(log.store, streamId, searchId)), status: 'broken', reason: (error as Error).message });
      }
    }
    return listings;
  });
}

function listing(searchId: string, history: RecordedSearchEvent[]): SearchListing {
  const tree = fold(history);
  return {
    searchId,
    task: tree.started?.task.name ?? null,
    createdAt: tree.startedAt ?? null,
    status: searchStatus(tree),
    experiments: searchCounts(tree).experiments,
    best: tree.completed?.bestNodeId ?? bestVerified(tree)?.id ?? null,
    heldOutGain: tree.finalTest?.relativeGain ?? null,
    branchedFrom: tree.branchedFrom ? `${tree.branchedFrom.searchId}@${tree.branchedFrom.revision}` : null,
    replayOf: replayOf(history, searchId),
    reason: tree.failed ? `failed: ${tree.failed.reason}` : null,
  };
}

// The search a replay re-ran, from its own SearchBranched event.
function replayOf(history: RecordedSearchEvent[], searchId: string): string | null {
  for (const e of history) if (e.type === 'SearchBranched' && e.data.searchId === searchId) return e.data.replay?.of ?? null;
  return null;
}

/** What can still be said of a broken stream from its first stored event, if that one reads. */
async function peek(store: EventStore, streamId: string, searchId: string): Promise<Omit<SearchListing, 'status' | 'reason'>> {
  const known = { searchId, task: null, createdAt: null, experiments: null, best: null, heldOutGain: null, branchedFrom: null, replayOf: null };
  try {
    for await (const first of store.readStream(streamId, { maxCount: 1 })) {
      const task = (first.data as { task?: { name?: unknown } }).task?.name;
      return { ...known, task: typeof task === 'string' ? task : null, createdAt: first.recordedAt.toISOString() };
    }
  } catch {
    // The first event is itself unreadable (or missing): nothing more to say than the reason.
  }
  return known;
}

/** The listing as a table: a header, one line per search; a broken or failed search ends with its reason. */
export function formatSearches(listings: SearchListing[]): string {
  const pct = (gain: number | null) => (gain === null ? '-' : `${gain >= 0 ? '+' : ''}${(gain * 100).toFixed(2)}%`);
  const rows = listings.map((s) => [
    s.searchId,
    s.task ?? '?',
    s.createdAt === null ? '-' : s.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    s.status,
    s.experiments === null ? '-' : String(s.experiments),
    s.best ?? '-',
    pct(s.heldOutGain),
    [s.replayOf ? `replay of ${s.replayOf}` : s.branchedFrom ? `branch of ${s.branchedFrom}` : '', s.reason ?? ''].filter(Boolean).join('; '),
  ]);
  const header = ['SEARCH', 'TASK', 'CREATED', 'STATUS', 'EXPERIMENTS', 'BEST', 'GAIN', 'NOTE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function canonical(tree: SearchTree): string {
  return JSON.stringify(tree, (_key, value: unknown) => (value instanceof Map ? [...value.entries()].sort(([a], [b]) => (a < b ? -1 : 1)) : value));
}
