import type { RunScore, SandboxKind } from '@hypotree/events';
import type { Task } from '@hypotree/task';
import { diagnosisLine } from './errors.js';
import { addWorktree, evaluate, evaluateSealed, removeWorktree, sandboxMode, type ArtifactRepo, type EvaluationFailureKind } from '@hypotree/workspace';
import { seedRange } from '@hypotree/search';

/** Scores and the sandbox they were measured under. */
export interface MeasuredRuns {
  runs: RunScore[];
  sandbox: SandboxKind;
  /** The evaluator hash right after the evaluation (absent: the task's, as loaded). */
  evaluatorHash?: string;
}

/** The end of what a failed evaluation printed: stdout, then stderr (where the error usually is), each marked. */
export function outputTail(stdoutTail: string, stderrTail: string): string {
  return [stdoutTail.trim() && `--- stdout ---\n${stdoutTail.trim()}`, stderrTail.trim() && `--- stderr ---\n${stderrTail.trim()}`].filter(Boolean).join('\n');
}

/** A dev evaluation that produced no score: how, why, and what it printed. */
export class DevEvaluationError extends Error {
  constructor(
    readonly commit: string,
    readonly kind: EvaluationFailureKind,
    readonly detail: string,
    readonly outputTail: string,
    readonly sandbox: SandboxKind,
    readonly evaluatorHash: string,
  ) {
    const said = diagnosisLine(outputTail);
    super(`the dev evaluation of ${commit} failed (${kind}): ${detail}${said === undefined ? '' : ` — it printed: ${said}`}`);
    this.name = 'DevEvaluationError';
  }
}

/** The evaluations the coordinator itself runs: the baseline's dev runs, and the sealed gate and test. */
export interface CoordinatorEvaluators {
  /** The sandbox these evaluations run in on this machine. */
  readonly sandbox: SandboxKind;
  /** Dev runs of a commit with these seeds (the baseline's, and adaptive repeats of a node); a run without a score throws DevEvaluationError. */
  dev(commit: string, seeds: number[]): Promise<MeasuredRuns>;
  /**
   * A sealed evaluation, `seeds` seeds (default: the task's repeats) from seed `from` (default 1; a
   * second gate look runs the seeds after its first look's); a run without a score throws SealedEvaluationError.
   */
  sealed(commit: string, which: 'gate' | 'test', seeds?: number, from?: number): Promise<MeasuredRuns>;
}

/**
 * The evaluators over real worktrees: each scorer in its sandbox, the candidate in another, sealed
 * data only in the scorer's. Once `signal` aborts, the processes of a running evaluation are killed
 * (and its worktree removed).
 */
export function worktreeEvaluators(task: Task, repo: ArtifactRepo, signal?: AbortSignal): CoordinatorEvaluators {
  return {
    sandbox: sandboxMode().kind,
    async dev(commit, seeds) {
      const started = Date.now();
      const worktree = await addWorktree(repo, commit, 'dev');
      try {
        const evaluation = await evaluate(
          { task, worktree: worktree.dir, scratch: repo.workdir, deadline: started + task.spec.budgets.experimentTimeoutSec * 1000, sandbox: sandboxMode(), signal },
          'dev',
          seeds,
        );
        if (!evaluation.ok) {
          throw new DevEvaluationError(commit, evaluation.kind, evaluation.detail, outputTail(evaluation.stdoutTail, evaluation.stderrTail), evaluation.sandbox, evaluation.evaluatorHash);
        }
        return { runs: evaluation.runs, sandbox: evaluation.sandbox, evaluatorHash: evaluation.evaluatorHash };
      } finally {
        await removeWorktree(repo, worktree);
      }
    },
    async sealed(commit, which, seeds = task.spec.budgets.repeats, from = 1) {
      // The same seeds for every node: one evaluation, several runs, so a configuration that is
      // unstable across seeds cannot win the gate or the test on one lucky draw.
      const result = await evaluateSealed({ task, repo, commit, which, seeds: seedRange(seeds, from), signal });
      return { runs: result.runs, sandbox: result.sandbox, evaluatorHash: result.evaluatorHash };
    },
  };
}
