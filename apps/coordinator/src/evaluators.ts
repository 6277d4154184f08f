import type { RunScore, SandboxKind } from '@hypotree/events';
import type { Task } from '@hypotree/task';
import { addWorktree, evaluate, evaluateSealed, removeWorktree, sandboxMode, type ArtifactRepo } from '@hypotree/workspace';

const seedsUpTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Scores and the sandbox they were measured under. */
export interface MeasuredRuns {
  runs: RunScore[];
  sandbox: SandboxKind;
  /** The evaluator hash right after the evaluation (absent: the task's, as loaded). */
  evaluatorHash?: string;
}

/** The evaluations the coordinator itself runs: the baseline's dev runs, and the sealed gate and test. */
export interface CoordinatorEvaluators {
  /** The sandbox these evaluations run in on this machine. */
  readonly sandbox: SandboxKind;
  /** Dev runs of a commit with these seeds (the baseline's, and adaptive repeats of a node). */
  dev(commit: string, seeds: number[]): Promise<MeasuredRuns>;
  /** A sealed evaluation, seeds 1..`seeds` (default: the task's repeats). */
  sealed(commit: string, which: 'gate' | 'test', seeds?: number): Promise<MeasuredRuns>;
}

/** The evaluators over real worktrees: each scorer in its sandbox, the candidate in another, sealed data only in the scorer's. */
export function worktreeEvaluators(task: Task, repo: ArtifactRepo): CoordinatorEvaluators {
  return {
    sandbox: sandboxMode().kind,
    async dev(commit, seeds) {
      const started = Date.now();
      const worktree = await addWorktree(repo, commit, 'dev');
      try {
        const evaluation = await evaluate(
          { task, worktree: worktree.dir, scratch: repo.workdir, deadline: started + task.spec.budgets.experimentTimeoutSec * 1000, sandbox: sandboxMode() },
          'dev',
          seeds,
        );
        if (!evaluation.ok) {
          throw new Error(`the dev evaluation of ${commit} failed (${evaluation.kind}): ${evaluation.detail}\n${evaluation.stderrTail || evaluation.stdoutTail}`);
        }
        return { runs: evaluation.runs, sandbox: evaluation.sandbox, evaluatorHash: evaluation.evaluatorHash };
      } finally {
        await removeWorktree(repo, worktree);
      }
    },
    async sealed(commit, which, seeds = task.spec.budgets.repeats) {
      // The same seeds for every node: one evaluation, several runs, so a configuration that is
      // unstable across seeds cannot win the gate or the test on one lucky draw.
      const result = await evaluateSealed({ task, repo, commit, which, seeds: seedsUpTo(seeds) });
      return { runs: result.runs, sandbox: result.sandbox, evaluatorHash: result.evaluatorHash };
    },
  };
}
