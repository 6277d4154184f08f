import type { Task } from '@hypotree/task';
import { installedPackageDir } from './installed.js';
import os from 'node:os';
import { INSIDE, type ResourceLimits, type SandboxView } from './sandbox/index.js';

/** The kernel limits of a process that may run for `timeoutMs`, from the task's budgets. */
export function limitsOf(task: Task, timeoutMs: number): ResourceLimits {
  const { budgets } = task.spec;
  const mib = 1024 * 1024;
  return {
    cpuSec: Math.ceil((timeoutMs / 1000) * os.availableParallelism()) + 5,
    memoryBytes: budgets.memoryMb * mib,
    processes: budgets.processes,
    fileBytes: budgets.scratchMb * mib,
    tmpBytes: budgets.scratchMb * mib,
  };
}

/**
 * The candidate's view: its worktree at /work (read-only while it is evaluated, writable while an
 * agent or the task's setup changes it), nothing of the task folder, no sealed data.
 */
export function candidateView(task: Task, worktree: string, writable: boolean, timeoutMs: number): SandboxView {
  return { binds: [{ host: worktree, inside: INSIDE.work, writable }], cwd: worktree, limits: limitsOf(task, timeoutMs) };
}

/** The folder of the `@hypotree/scorer` package, bound into every scorer's sandbox. */
export function scorerLibraryDir(): string {
  return installedPackageDir('@hypotree/scorer');
}

/** The evaluator's data: the sealed data of gate and test, the declared data of dev (if any). */
export function evaluatorData(task: Task, which: 'dev' | 'gate' | 'test'): string | undefined {
  return which === 'dev' ? task.devData : task.sealed[which];
}

/**
 * The trusted scorer's view: the task folder read-only at /task with both sealed folders
 * covered, its own data (and only its own) at /data, the scorer library, and no worktree:
 * it sees the candidate only through the outputs hypotree hands it.
 */
export function scorerView(task: Task, which: 'dev' | 'gate' | 'test', timeoutMs: number): SandboxView {
  const data = evaluatorData(task, which);
  return {
    binds: [
      { host: task.dir, inside: INSIDE.task, writable: false },
      ...(data === undefined ? [] : [{ host: data, inside: INSIDE.data, writable: false }]),
      { host: scorerLibraryDir(), inside: INSIDE.scorerLibrary, writable: false },
    ],
    masks: [task.sealed.gate, task.sealed.test],
    cwd: task.dir,
    limits: limitsOf(task, timeoutMs),
  };
}
