import type { Task } from '@hypotree/task';
import type { ArtifactRepo } from './artifact.js';
import { defaultSeeds, evaluate, meanScore } from './evaluate.js';
import type { RunScore } from '@hypotree/events';
import { sandboxMode, type SandboxMode } from './sandbox/index.js';
import type { EvaluationFailureKind } from './scoring/verdict.js';
import { addWorktree, removeWorktree } from './worktree.js';

/** A sealed evaluation that produced no score; the coordinator decides what that means. */
export class SealedEvaluationError extends Error {
  constructor(
    readonly which: 'gate' | 'test',
    readonly commit: string,
    readonly kind: EvaluationFailureKind,
    detail: string,
    readonly stdoutTail: string,
    readonly stderrTail: string,
    readonly sandbox: SandboxMode['kind'],
    readonly evaluatorHash: string,
  ) {
    super(`${which} evaluation of ${commit} failed (${kind}): ${detail}\n--- scorer stdout tail ---\n${stdoutTail}\n--- scorer stderr tail ---\n${stderrTail}`);
    this.name = 'SealedEvaluationError';
  }
}

/** A request for a gate or test score of one commit. */
export interface SealedRequest {
  task: Task;
  repo: ArtifactRepo;
  commit: string;
  which: 'gate' | 'test';
  /** One seed, or these seeds (default: the task's seeds 1..repeats). */
  seed?: number;
  seeds?: number[];
  signal?: AbortSignal;
  sandbox?: SandboxMode;
}

/** A sealed score and what it ran under. */
export interface SealedScore {
  score: number;
  runs: RunScore[];
  durationMs: number;
  sandbox: SandboxMode['kind'];
  /** The task folder's evaluator hash right after the evaluation. */
  evaluatorHash: string;
}

/**
 * Scores `commit` with the gate or test scorer: the candidate runs from its own detached
 * worktree in its sandbox; the sealed data is bound only into the scorer's sandbox.
 */
export async function evaluateSealed(req: SealedRequest): Promise<SealedScore> {
  const started = Date.now();
  const { task, which } = req;
  const sandbox = req.sandbox ?? sandboxMode();
  const worktree = await addWorktree(req.repo, req.commit, `sealed-${which}`);
  try {
    const evaluation = await evaluate(
      {
        task,
        worktree: worktree.dir,
        scratch: req.repo.workdir,
        deadline: started + task.spec.budgets.experimentTimeoutSec * 1000,
        sandbox,
        signal: req.signal,
      },
      which,
      req.seed !== undefined ? [req.seed] : (req.seeds ?? defaultSeeds(task)),
    );
    if (!evaluation.ok) throw new SealedEvaluationError(which, req.commit, evaluation.kind, evaluation.detail, evaluation.stdoutTail, evaluation.stderrTail, evaluation.sandbox, evaluation.evaluatorHash);
    return { score: meanScore(evaluation.runs), runs: evaluation.runs, durationMs: Date.now() - started, sandbox: evaluation.sandbox, evaluatorHash: evaluation.evaluatorHash };
  } finally {
    await removeWorktree(req.repo, worktree);
  }
}
