import type { Task } from '@hypotree/task';
import type { ArtifactRepo } from './artifact.js';
import { defaultSeeds, evaluate, meanScore } from './evaluate.js';
import type { RunScore } from './evidence.js';
import { SEALED_UID } from './sandbox.js';
import { addWorktree, removeWorktree } from './worktree.js';

/** A sealed evaluation that produced no score; the coordinator decides what that means. */
export class SealedEvaluationError extends Error {
  constructor(
    readonly which: 'gate' | 'test',
    readonly commit: string,
    readonly kind: 'timeout' | 'crash' | 'no-metric',
    detail: string,
    readonly stdoutTail: string,
    readonly stderrTail: string,
  ) {
    super(`${which} evaluation of ${commit} failed (${kind}): ${detail}\n--- stdout tail ---\n${stdoutTail}\n--- stderr tail ---\n${stderrTail}`);
    this.name = 'SealedEvaluationError';
  }
}

/** A request for a gate or test score of one commit. */
export interface SealedRequest {
  task: Task;
  repo: ArtifactRepo;
  commit: string;
  which: 'gate' | 'test';
  seed?: number;
  signal?: AbortSignal;
}

/**
 * Scores `commit` with the gate or test evaluator, in its own detached worktree, as the sealed
 * uid, with only that evaluator's sealed data visible (path in env HYPOTREE_SEALED_DATA).
 */
export async function evaluateSealed(req: SealedRequest): Promise<{ score: number; runs: RunScore[]; durationMs: number }> {
  const started = Date.now();
  const { task, which } = req;
  const evaluator = task.spec.evaluators[which];
  const other = which === 'gate' ? task.sealed.test : task.sealed.gate;
  const worktree = await addWorktree(req.repo, req.commit, `sealed-${which}`, SEALED_UID);
  try {
    const evaluation = await evaluate(
      {
        task,
        worktree: worktree.dir,
        scratch: req.repo.workdir,
        confinement: { uid: SEALED_UID, hide: [other], network: false },
        env: { HYPOTREE_SEALED_DATA: task.sealed[which] },
        deadline: started + task.spec.budgets.experimentTimeoutSec * 1000,
        signal: req.signal,
      },
      which,
      evaluator,
      req.seed === undefined ? defaultSeeds(task) : [req.seed],
    );
    if (!evaluation.ok) throw new SealedEvaluationError(which, req.commit, evaluation.kind, evaluation.detail, evaluation.stdoutTail, evaluation.stderrTail);
    return { score: meanScore(evaluation.runs), runs: evaluation.runs, durationMs: Date.now() - started };
  } finally {
    await removeWorktree(req.repo, worktree);
  }
}
