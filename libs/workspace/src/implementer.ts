import type { Hypothesis, Task } from '@hypotree/task';
import { lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Evaluation } from './evaluate.js';
import type { TokenUsage } from '@hypotree/events';
import type { RunOutcome } from './process.js';

/** What an implementer gets: the worktree to change, the fixed hypothesis, and ways to check its work. */
export interface ImplementationContext {
  worktree: string;
  hypothesis: Hypothesis;
  task: Task;
  /** Feedback on an earlier attempt at the same hypothesis (from the coordinator), if any. */
  feedback?: string;
  /** Runs the dev evaluator once on the worktree as it is now (no commit). */
  checkDev(): Promise<Evaluation>;
  /**
   * Runs a command in the worktree (writable, at /work) inside the candidate's sandbox: no task
   * folder, no sealed data, no network; `binds` are extra host paths visible read-only at the same
   * paths; `endpoint` is the one URL it may reach (given to it as OPENAI_BASE_URL and HYPOTREE_MODEL_ENDPOINT).
   */
  runConfined(
    command: string,
    args: readonly string[],
    options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number; binds?: readonly string[]; endpoint?: string },
  ): Promise<RunOutcome>;
  signal?: AbortSignal;
}

/** What an implementer reports back; the real change is read from the worktree, not from here. */
export interface Implementation {
  summary: string;
  attempts: number;
  model?: string;
  usage?: TokenUsage;
}

/** Turns a hypothesis into changed files in a worktree. */
export interface Implementer {
  readonly name: string;
  implement(context: ImplementationContext): Promise<Implementation>;
}

/** The implementer could not realise the hypothesis; becomes an `implementation-failed` experiment. */
export class ImplementationFailed extends Error {
  constructor(
    message: string,
    readonly attempts = 1,
    readonly usage?: TokenUsage,
  ) {
    super(message);
    this.name = 'ImplementationFailed';
  }
}

/** Writes a repo-relative file inside the worktree, refusing `..`, absolute paths and symlinks on the way. */
export async function writeWorktreeFile(worktree: string, rel: string, content: string): Promise<void> {
  const segments = rel.split('/');
  if (path.isAbsolute(rel) || segments.includes('..') || segments.includes('.git') || segments.includes('')) {
    throw new ImplementationFailed(`refusing to write '${rel}': paths must be relative, without '..', '.git' or empty segments`);
  }
  let current = worktree;
  for (const segment of segments) {
    current = path.join(current, segment);
    const info = await lstat(current).catch(() => undefined);
    if (info?.isSymbolicLink()) throw new ImplementationFailed(`refusing to write '${rel}': '${path.relative(worktree, current)}' is a symlink`);
  }
  await mkdir(path.dirname(current), { recursive: true });
  await writeFile(current, content);
}
