import { ROOT_NODE_ID, type SandboxKind } from '@hypotree/events';
import { bestVerified, searchCounts, type SearchTree } from '@hypotree/tree';

/** The outcome of a search, as `hypotree run` prints it. */
export interface SearchSummary {
  searchId: string;
  task: string;
  metric: string;
  direction: 'maximize' | 'minimize';
  baseline: { nodeId: string; commit: string; dev: number; test: number | null };
  best: { nodeId: string; commit: string; title: string; dev: number; test: number | null };
  /** (S_test(M*) − S_test(M0)) / (|S_test(M0)| + ε) on oriented scores; null before the final test. */
  relativeGain: number | null;
  /** Its 95% interval from the test's seeds, and whether that holds 0; null before the final test (or in older logs). */
  gainInterval: { low: number; high: number; withinNoise: boolean } | null;
  /** Candidates that cleared dev but were rejected because no gate evaluation was left. */
  rejectedForGateBudget: number;
  /**
   * What the search's family (it, its branches and replays) has paid for, each measurement once:
   * the test set's use in held-out scores, sealed gate calls, experiments (absent where not read).
   */
  family?: { searches: number; testScores: number; gateEvaluations: number; experiments: number };
  experiments: number;
  admitted: number;
  rejected: number;
  failed: number;
  gateEvaluations: number;
  insights: number;
  tokens: number;
  stopReason: string | null;
  revision: number;
  /** The sandbox the search's evaluations ran in (`unknown` in logs written before it was recorded). */
  sandbox: SandboxKind | 'unknown';
  /** The user let code-writing implementers run without a sandbox. */
  allowUnsandboxed: boolean;
}

/** Reads the summary off the tree: everything in it is a projection of the log. */
export function summarize(tree: SearchTree): SearchSummary {
  const root = tree.nodes.get(ROOT_NODE_ID);
  if (!root?.result || !tree.started || !tree.objective) throw new Error(`search ${tree.searchId} has no baseline yet`);
  const bestNode = (tree.completed ? tree.nodes.get(tree.completed.bestNodeId) : bestVerified(tree)) ?? root;
  const counts = searchCounts(tree);
  const final = tree.finalTest;
  return {
    searchId: tree.searchId,
    task: tree.started.task.name,
    metric: tree.objective.metric,
    direction: tree.objective.direction,
    baseline: { nodeId: root.id, commit: root.result.commit, dev: root.result.mean, test: final?.baseline.value ?? null },
    best: {
      nodeId: bestNode.id,
      commit: bestNode.result!.commit,
      title: bestNode.hypothesis?.title ?? 'baseline',
      dev: bestNode.result!.mean,
      test: final?.best.value ?? null,
    },
    relativeGain: final?.relativeGain ?? null,
    gainInterval: final?.uncertainty ? { low: final.uncertainty.low, high: final.uncertainty.high, withinNoise: final.uncertainty.withinNoise } : null,
    rejectedForGateBudget: [...tree.nodes.values()].filter((n) => n.decision?.rule === 'gate-budget-exhausted').length,
    experiments: counts.experiments,
    admitted: counts.admitted,
    rejected: counts.rejected,
    failed: counts.failed,
    gateEvaluations: counts.gateEvaluations,
    insights: counts.insights,
    tokens: counts.tokens,
    stopReason: tree.completed?.reason ?? null,
    revision: tree.revision,
    sandbox: tree.started.trust?.sandbox ?? 'unknown',
    allowUnsandboxed: tree.started.trust?.allowUnsandboxed ?? false,
  };
}
