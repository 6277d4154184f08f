import type { RunScore } from '@hypotree/events';
import type { Task } from '@hypotree/task';
import {
  addWorktree,
  defaultSeeds,
  evaluate,
  evaluateSealed,
  EXPERIMENT_UID,
  removeWorktree,
  type ArtifactRepo,
} from '@hypotree/workspace';

/** The evaluations the coordinator itself runs: the baseline's dev runs, and the sealed gate and test. */
export interface CoordinatorEvaluators {
  baselineDev(commit: string): Promise<RunScore[]>;
  sealed(commit: string, which: 'gate' | 'test'): Promise<RunScore[]>;
}

/** The evaluators over real worktrees: dev confined like any experiment, gate and test with their sealed data. */
export function worktreeEvaluators(task: Task, repo: ArtifactRepo): CoordinatorEvaluators {
  return {
    async baselineDev(commit) {
      const started = Date.now();
      const worktree = await addWorktree(repo, commit, 'baseline', EXPERIMENT_UID);
      try {
        const evaluation = await evaluate(
          {
            task,
            worktree: worktree.dir,
            scratch: repo.workdir,
            confinement: { uid: EXPERIMENT_UID, hide: [task.sealed.gate, task.sealed.test], network: false },
            deadline: started + task.spec.budgets.experimentTimeoutSec * 1000,
          },
          'dev',
          task.spec.evaluators.dev,
          defaultSeeds(task),
        );
        if (!evaluation.ok) {
          throw new Error(`the baseline's dev evaluator failed (${evaluation.kind}): ${evaluation.detail}\n${evaluation.stderrTail || evaluation.stdoutTail}`);
        }
        return evaluation.runs;
      } finally {
        await removeWorktree(repo, worktree);
      }
    },
    async sealed(commit, which) {
      // The task's seeds (its `repeats`), the same for every node: one evaluation, several runs, so a
      // configuration that is unstable across seeds cannot win the gate or the test on one lucky draw.
      const result = await evaluateSealed({ task, repo, commit, which });
      return result.runs;
    },
  };
}
