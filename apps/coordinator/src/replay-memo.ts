import type { DispatchExperiment } from '@hypotree/messaging';
import type { FamilyMemo, GateOutcome, Measured } from '@hypotree/search';
import type { SandboxKind } from '@hypotree/events';
import type { SearchTree } from '@hypotree/tree';
import { ReplayNeeds } from './errors.js';
import type { CoordinatorEvaluators } from './evaluators.js';
import type { RunMemo } from './search-run.js';

/**
 * A replay's memo: the family's recorded outcomes as the search loop asks for them. A model call the
 * family never made is refused (ReplayNeeds) unless the replay may execute, so a replay from the memo
 * alone never spends a token.
 */
export function runMemo(memo: FamilyMemo, options: { execute: boolean; repeats: number; sandbox: SandboxKind }): RunMemo {
  const measured = (found: ReturnType<FamilyMemo['devRuns']>): Measured | undefined =>
    found && { runs: found.runs, sandbox: found.sandbox ?? options.sandbox, ...(found.evaluatorHash ? { evaluatorHash: found.evaluatorHash } : {}), reusedFrom: found.source };
  return {
    dev: (commit, seeds) => measured(memo.devRuns(commit, seeds)),
    test: (commit, seeds) => measured(memo.testRuns(commit, seeds)),
    gate(commit, seeds, from): GateOutcome | undefined {
      const found = memo.gate(commit, seeds ?? options.repeats, from);
      if (!found) return undefined;
      const under = { sandbox: found.sandbox ?? options.sandbox, ...(found.evaluatorHash ? { evaluatorHash: found.evaluatorHash } : {}), reusedFrom: found.source };
      return found.ok ? { ok: true, runs: found.runs, ...under } : { ok: false, kind: found.kind, detail: found.detail, outputTail: '', ...under };
    },
    experiment(tree: SearchTree, dispatch: DispatchExperiment) {
      const found = memo.experiment(tree, dispatch.nodeId, dispatch.baseCommit);
      if (!found) return undefined;
      const { experimentId, nodeId } = dispatch;
      const outcome = { ...found.outcome, data: { ...found.outcome.data, experimentId, nodeId } } as typeof found.outcome;
      return { experimentId, nodeId, source: found.source, outcome };
    },
    recall(purpose, model, promptHash) {
      const found = memo.reply(purpose, model, promptHash);
      if (found || options.execute) return found;
      throw new ReplayNeeds('model call', `a ${purpose} prompt to ${model} (sha256 ${promptHash.slice(0, 12)}…) that no search of the family asked`);
    },
  };
}

/** The evaluators of a replay that may not execute: every evaluation the memo lacks stops it. */
export function refusingEvaluators(sandbox: SandboxKind): CoordinatorEvaluators {
  return {
    sandbox,
    dev: async (commit, seeds) => {
      throw new ReplayNeeds('dev evaluation', `dev runs of ${commit.slice(0, 10)} with seeds ${seeds.join(', ')}`);
    },
    sealed: async (commit, which) => {
      throw new ReplayNeeds(which === 'gate' ? 'gate evaluation' : 'test evaluation', `the ${which} score of ${commit.slice(0, 10)}`);
    },
  };
}

/** The dispatch of a replay that may not execute: an experiment the memo lacks stops it. */
export async function refuseDispatch(dispatch: DispatchExperiment): Promise<void> {
  throw new ReplayNeeds('experiment', `node ${dispatch.nodeId} (${dispatch.hypothesis.title}) on ${dispatch.baseCommit.slice(0, 10)}`);
}
