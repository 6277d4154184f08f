import { deterministicEventId, type PolicyRef, type SearchEventData } from '@hypotree/events';
import { compareSearches, recordedPolicyParams, type SearchComparison } from '@hypotree/search';
import { loadTask } from '@hypotree/task';
import { SearchLog } from '@hypotree/event-store';
import { admissionPolicy, buildPolicies, policyRef, replayAdmission, type AdmissionReplay, type PolicyParams } from '@hypotree/policy';
import { fold, foldUntil } from '@hypotree/tree';
import { actor } from './embedded.js';
import { withLog } from './inspect.js';

/** The recorded policy parameters of a search with some replaced: what a branch or a replay runs under. */
export function mergedParams(started: SearchEventData<'SearchStarted'>, overrides: PolicyParams): Required<PolicyParams> {
  const recorded = recordedPolicyParams(started);
  return {
    selection: { ...recorded.selection, ...overrides.selection },
    admission: { ...recorded.admission, ...overrides.admission },
    refinement: { ...recorded.refinement, ...overrides.refinement },
  } as Required<PolicyParams>;
}

export interface BranchRequest {
  parentId: string;
  /** The parent's revision to branch at (its events up to and including it); default: its last event. */
  at?: number;
  reason: string;
  /** Policy parameters that differ from the parent's. */
  policies: PolicyParams;
  branchId?: string;
}

/**
 * Starts a new search from a parent search as it stood at a revision: a new stream whose first event
 * is SearchBranched (with the policies that differ). The parent's stream is never touched; running
 * the branch (`hypotree run <task> --search-id <branch>`) continues from that point.
 */
export async function branchSearch(storeUrl: string, request: BranchRequest): Promise<{ branchId: string; revision: number }> {
  return withLog(storeUrl, async (log) => {
    if (request.at !== undefined && (!Number.isInteger(request.at) || request.at < 0)) throw new Error(`--at ${request.at}: a revision is a whole number from 0`);
    // The parent is read no further than the branch revision: a gap in its log after that point does not stop a branch before it.
    const own = await log.ownEvents(request.parentId, request.at ?? Infinity);
    if (own.length === 0) throw new Error(`no search ${request.parentId} in ${storeUrl}`);
    const last = own.at(-1)!.revision;
    const at = request.at ?? last;
    if (at > last) throw new Error(`--at ${at}: search ${request.parentId} has revisions 0 to ${last}`);
    const then = foldUntil(await log.history(request.parentId, at), at);
    if (then.completed) throw new Error(`search ${request.parentId} had already completed at revision ${at}; branch before its SearchCompleted event`);
    const branchId = request.branchId ?? `${request.parentId}-b${at}-${Date.now().toString(36)}`;
    const policies = buildPolicies(mergedParams(then.started!, request.policies));
    const changed = Object.fromEntries(
      (['selection', 'admission', 'refinement'] as const)
        .filter((k) => request.policies[k] !== undefined)
        .map((k) => [k, policyRef(policies[k])]),
    );
    const branchLog = new SearchLog(log.store, actor('cli'));
    await branchLog.append(branchId, -1, [
      {
        id: deterministicEventId(branchId, 'branched'),
        causationId: own.find((e) => e.revision === at)!.id,
        event: { type: 'SearchBranched', data: { searchId: branchId, parent: { searchId: request.parentId, revision: at }, reason: request.reason, policies: changed } },
      },
    ]);
    return { branchId, revision: at };
  });
}

/** Replays a search's admission decisions under other admission parameters (see `replayAdmission`). */
export async function replaySearch(storeUrl: string, searchId: string, overrides: PolicyParams): Promise<AdmissionReplay & { policy: PolicyRef }> {
  return withLog(storeUrl, async (log) => {
    const history = await log.history(searchId);
    if (history.length === 0) throw new Error(`no search ${searchId} in ${storeUrl}`);
    const started = fold(history).started!;
    const admission = admissionPolicy(mergedParams(started, overrides).admission);
    return { ...replayAdmission(history, admission), policy: policyRef(admission) };
  });
}

/** Two searches of one task side by side (see compareSearches). */
export async function compareTwo(storeUrl: string, a: string, b: string): Promise<SearchComparison> {
  return withLog(storeUrl, async (log) => {
    const read = async (id: string) => {
      const history = await log.history(id);
      if (history.length === 0) throw new Error(`no search ${id} in ${storeUrl}`);
      return { tree: fold(history), history };
    };
    const [x, y] = [await read(a), await read(b)];
    if (x.tree.started!.task.specHash !== y.tree.started!.task.specHash) {
      throw new Error(`${a} and ${b} ran different tasks (${x.tree.started!.task.name} ${x.tree.started!.task.specHash.slice(0, 8)}, ${y.tree.started!.task.name} ${y.tree.started!.task.specHash.slice(0, 8)}): their nodes cannot be matched`);
    }
    return compareSearches(x, y, loadTask(x.tree.started!.task.specPath).spec.parameters?.space ?? []);
  });
}
