import { loadTask, type Task } from '@hypotree/task';
import { evaluate, sandboxMode, type SandboxMode } from '@hypotree/workspace';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hypotree, lastJsonLine } from './cli.js';
import type { Summary } from './search-log.js';

/**
 * A bundled task under examples/, as its e2e test uses it: the candidate's artifact copied into a
 * scratch worktree (which a test may rewrite, as an implementer could), scored by the task's own
 * trusted evaluators, and a short search through the built CLI. `close()` removes what it made.
 */
export function bundledTask(name: string) {
  const task: Task = loadTask(path.resolve('examples', name));
  const dirs: string[] = [];
  const scratch = (prefix: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), `hypotree-${name}-${prefix}-`));
    chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  };
  return {
    task,
    /** A fresh copy of the shipped artifact. */
    worktree(): string {
      const dir = scratch('worktree');
      cpSync(path.join(task.dir, 'artifact'), dir, { recursive: true });
      return dir;
    },
    /** Replaces a file of a worktree with `text`. */
    write(worktree: string, file: string, text: string): void {
      writeFileSync(path.join(worktree, file), text);
    },
    /** One evaluation (seed 1) of a worktree by the task's dev, gate or test scorer. */
    score(worktree: string, which: 'dev' | 'gate' | 'test', sandbox: SandboxMode = sandboxMode()) {
      return evaluate({ task, worktree, scratch: os.tmpdir(), deadline: Date.now() + 60_000, sandbox }, which, [1]);
    },
    /** `hypotree run` on the task with a small budget; the JSON summary. */
    async search(budget: number, extra: string[] = []): Promise<Summary> {
      const { stdout } = await hypotree(['run', task.dir, '--budget', String(budget), '--workdir', scratch('search'), '--json', ...extra]);
      return lastJsonLine<Summary>(stdout);
    },
    close(): void {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
