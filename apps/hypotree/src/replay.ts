import { isDeepStrictEqual } from 'node:util';
import { deterministicEventId, type RecordedSearchEvent } from '@hypotree/events';
import { ReplayNeeds } from '@hypotree/coordinator';
import { buildPolicies, budgetStatus, policyRef, type PolicyParams } from '@hypotree/policy';
import { compareSearches, FamilyMemo, familySpend, inFlight, type FamilySpend, type SearchComparison } from '@hypotree/search';
import { loadTask } from '@hypotree/task';
import { fold, type SearchTree } from '@hypotree/tree';
import { runEmbedded } from './embedded.js';
import { withLog } from './inspect.js';
import { mergedParams } from './history.js';

/** What `hypotree replay` asks for. */
export interface ReplayRequest {
  /** The search to replay (a root search, a branch or another replay). */
  sourceId: string;
  /** Policy parameters that differ from the source's. */
  policies: PolicyParams;
  /** Run what the family's memo lacks (experiments, evaluations, model calls) for real; otherwise stop at the first such step. */
  execute: boolean;
  /** The replay's search id; an existing replay of the same source resumes. Default: `<source>-replay-<time>`. */
  replayId?: string;
  store: string;
  workdir: string;
  onProgress?: (tree: SearchTree, note: string) => void;
}

/** Where a replay from the memo alone stopped, and what running it on would take at most. */
export interface ReplayStop {
  need: ReplayNeeds['need'];
  detail: string;
  /** Upper bounds from the budget left when it stopped: each experiment may also take a gate call, a proposal and a distillation. */
  atMost: { experiments: number; gateEvaluations: number; modelCalls: number | null };
}

/** What a replay did and what it found. */
export interface ReplayReport {
  replayId: string;
  sourceId: string;
  /** Whether the replay ran to its end (its held-out score included) or stopped where the memo ended. */
  finished: boolean;
  stopped?: ReplayStop;
  comparison: SearchComparison;
  /** What the whole family has paid for, after this replay (the test set's use counted once per score). */
  family: FamilySpend;
  /** The command that continues a replay that stopped. */
  resume?: string;
}

/**
 * Replays a whole search under other policies (selection, admission, refinement; the proposer and
 * distiller are the source's): a new search stream that branches from the family's root at its start,
 * run by the real search loop, with every experiment, evaluation and model call the family already
 * paid for taken from its log (ExperimentReused, and `reusedFrom` on evaluations and model calls).
 * Without `execute` it stops at the first step the family never paid for and says what running on
 * would take; with `execute` it runs those for real, as `hypotree run` would. Then it compares the
 * replay with its source.
 */
export async function replayWholeSearch(request: ReplayRequest): Promise<ReplayReport> {
  const prepared = await prepareReplay(request);
  let stopped: ReplayStop | undefined;
  try {
    await runEmbedded({
      config: { task: prepared.specPath, workdir: request.workdir, searchId: prepared.replayId },
      store: request.store,
      replay: { memo: prepared.memo, execute: request.execute },
      onProgress: request.onProgress,
    });
  } catch (error) {
    if (!(error instanceof ReplayNeeds)) throw error;
    stopped = { need: error.need, detail: error.detail, atMost: { experiments: 0, gateEvaluations: 0, modelCalls: null } };
  }
  return withLog(request.store, async (log) => {
    const history = await log.history(prepared.replayId);
    const tree = fold(history);
    if (stopped) stopped.atMost = atMost(tree);
    const source = await log.history(request.sourceId);
    const task = loadTask(prepared.specPath);
    const comparison = compareSearches({ tree: fold(source), history: source }, { tree, history }, task.spec.parameters?.space ?? []);
    const family = familySpend(await log.family(request.sourceId));
    const finished = tree.finalTest !== undefined || tree.failed !== undefined;
    const resume = finished ? undefined : `hypotree replay ${request.sourceId} --as ${prepared.replayId} --execute`;
    return { replayId: prepared.replayId, sourceId: request.sourceId, finished, ...(stopped ? { stopped } : {}), comparison, family, ...(resume ? { resume } : {}) };
  });
}

// What running a stopped replay on could take at most: the experiments its budget has left, a gate
// call for each (within the gate budget), and, with a model proposing or distilling, a call per
// experiment for each, plus the call it may have stopped at.
function atMost(tree: SearchTree): ReplayStop['atMost'] {
  const budget = budgetStatus(tree, new Date());
  // The experiment it stopped at was dispatched (and counted) already.
  const experiments = budget.experimentsLeft + inFlight(tree).length;
  const gateEvaluations = Math.min(tree.started!.budget.gateEvaluations - tree.gateEvaluationsUsed, experiments + (tree.nodes.get('0')?.gate ? 0 : 1));
  const research = tree.started!.research;
  const perExperiment = (research.proposer === 'llm' ? 1 : 0) + (research.distiller === 'llm' && research.insights ? 1 : 0);
  return { experiments, gateEvaluations: Math.max(0, gateEvaluations), modelCalls: perExperiment === 0 ? 0 : experiments * perExperiment + 1 };
}

/** The replay's stream (created, or an existing replay of the same source to resume), its task and the family's memo. */
async function prepareReplay(request: ReplayRequest): Promise<{ replayId: string; specPath: string; memo: FamilyMemo }> {
  return withLog(request.store, async (log) => {
    const source = await log.history(request.sourceId);
    if (source.length === 0) throw new Error(`no search ${request.sourceId} in ${request.store}`);
    const sourceTree = fold(source);
    const started = sourceTree.started!;
    const task = loadTask(started.task.specPath);
    const replayId = request.replayId ?? `${request.sourceId}-replay-${Date.now().toString(36)}`;
    const existing = await log.ownEvents(replayId, 0);
    const first = existing[0];
    const start = replayStart(source, sourceTree, replayId, request);
    if (first) {
      if (first.type !== 'SearchBranched' || first.data.replay?.of !== request.sourceId) {
        throw new Error(`--as ${replayId}: a search of that id exists and is not a replay of ${request.sourceId}; choose another id`);
      }
      // Resuming: the policies asked for now must be those it started under (none asked: the same).
      const asked = Object.keys(request.policies).length > 0;
      if (asked && !isDeepStrictEqual(first.data.policies, start.event.data.policies)) {
        throw new Error(`--as ${replayId}: that replay runs under other policies (${JSON.stringify(first.data.policies)}); resume it without --policy, or choose another id`);
      }
    } else {
      await log.append(replayId, -1, [start]);
    }
    const members = await log.family(request.sourceId);
    const memo = new FamilyMemo(members, { specHash: task.hash, evaluatorHash: task.evaluatorHash, space: task.spec.parameters?.space ?? [], implementer: started.research.implementer });
    return { replayId, specPath: started.task.specPath, memo };
  });
}

// The replay's first event: a branch of the family's root at its SearchStarted (nothing after it is
// inherited), under the source's policies with the requested ones changed.
function replayStart(source: RecordedSearchEvent[], sourceTree: SearchTree, replayId: string, request: ReplayRequest) {
  const origin = source[0]!;
  if (origin.type !== 'SearchStarted') throw new Error(`search ${request.sourceId}: its history does not begin with SearchStarted`);
  const policies = buildPolicies(mergedParams(sourceTree.started!, request.policies));
  const refs = { selection: policyRef(policies.selection), admission: policyRef(policies.admission), refinement: policyRef(policies.refinement) };
  const changed = (['selection', 'admission', 'refinement'] as const).filter((k) => request.policies[k] !== undefined);
  const reason = changed.length === 0 ? `replay of ${request.sourceId} under its recorded policies` : `replay of ${request.sourceId} with ${changed.map((k) => `${k} ${JSON.stringify(request.policies[k])}`).join(', ')}`;
  return {
    id: deterministicEventId(replayId, 'branched'),
    causationId: origin.id,
    event: {
      type: 'SearchBranched' as const,
      data: { searchId: replayId, parent: { searchId: origin.data.searchId, revision: 0 }, reason, policies: refs, replay: { of: request.sourceId } },
    },
  };
}
