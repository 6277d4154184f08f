import { commandLine, parseMetric, tail, type EvaluatorSpec, type Task } from '@hypotree/task';
import { runProcess, type RunOutcome } from './process.js';
import type { Confinement } from './sandbox.js';
import type { RunScore } from './evidence.js';

/** Where and how evaluator runs happen for one worktree. */
export interface EvaluationSite {
  task: Task;
  worktree: string;
  scratch: string;
  confinement: Confinement;
  env?: Record<string, string>;
  /** Epoch ms after which nothing more may run (the experiment's wall-clock budget). */
  deadline: number;
  signal?: AbortSignal;
}

/** The result of running an evaluator once per seed: all scores, or the first failure. */
export type Evaluation =
  | { ok: true; runs: RunScore[]; stdoutTail: string; stderrTail: string }
  | { ok: false; kind: 'timeout' | 'crash' | 'no-metric'; detail: string; runs: RunScore[]; stdoutTail: string; stderrTail: string };

function failureOf(what: string, outcome: RunOutcome, limitMs: number): { kind: 'timeout' | 'crash'; detail: string } | undefined {
  if (outcome.timedOut) return { kind: 'timeout', detail: `${what} exceeded its ${Math.round(limitMs / 100) / 10}s wall-clock limit; its process group was killed` };
  if (outcome.aborted) return { kind: 'crash', detail: `${what} was aborted` };
  if (outcome.exitCode !== 0) {
    const how = outcome.exitCode === undefined ? `was killed by ${outcome.signal ?? 'a signal'}` : `exited with code ${outcome.exitCode}`;
    return { kind: 'crash', detail: `${what} ${how}` };
  }
  return undefined;
}

async function runOnce(site: EvaluationSite, what: string, spec: Pick<EvaluatorSpec, 'command' | 'args' | 'timeoutSec'>, env: Record<string, string>, network: boolean) {
  const limitMs = Math.min(spec.timeoutSec * 1000, site.deadline - Date.now());
  const [command, args] = commandLine(site.task, spec);
  const outcome = await runProcess({
    command,
    args: args.map((a) => a.split('{seed}').join(env.HYPOTREE_SEED ?? '')),
    cwd: site.worktree,
    scratch: site.scratch,
    timeoutMs: limitMs,
    outputCapBytes: site.task.spec.budgets.outputCapBytes,
    confinement: { ...site.confinement, network },
    env: { ...site.env, ...env },
    signal: site.signal,
  });
  return { outcome, failure: failureOf(what, outcome, limitMs) };
}

/**
 * Runs the task's setup (if any), then `evaluator` once per seed (seed in env HYPOTREE_SEED and
 * `{seed}` in args); stops at the first timeout, crash or missing metric.
 */
export async function evaluate(site: EvaluationSite, name: string, evaluator: EvaluatorSpec, seeds: readonly number[]): Promise<Evaluation> {
  const runs: RunScore[] = [];
  const setup = site.task.spec.setup;
  if (setup !== undefined) {
    const { outcome, failure } = await runOnce(site, 'setup', setup, {}, true);
    if (failure !== undefined) return { ok: false, ...failure, runs, stdoutTail: tail(outcome.stdout), stderrTail: tail(outcome.stderr) };
  }
  let last = { stdoutTail: '', stderrTail: '' };
  for (const seed of seeds) {
    const { outcome, failure } = await runOnce(site, `${name} evaluator (seed ${seed})`, evaluator, { HYPOTREE_SEED: String(seed) }, false);
    last = { stdoutTail: tail(outcome.stdout), stderrTail: tail(outcome.stderr) };
    if (failure !== undefined) return { ok: false, ...failure, runs, ...last };
    const reading = parseMetric(outcome.stdout, site.task.spec.objective.metric);
    if (!reading.ok) return { ok: false, kind: 'no-metric', detail: `${name} evaluator (seed ${seed}): ${reading.reason}`, runs, stdoutTail: reading.tail, stderrTail: last.stderrTail };
    runs.push({ seed, value: reading.value, durationMs: outcome.durationMs });
  }
  return { ok: true, runs, ...last };
}

/** Mean of the run values. */
export function meanScore(runs: readonly RunScore[]): number {
  return runs.reduce((sum, r) => sum + r.value, 0) / runs.length;
}

/** Seeds 1..n, the default when the caller does not choose seeds. */
export function defaultSeeds(task: Task): number[] {
  return Array.from({ length: task.spec.budgets.repeats }, (_, i) => i + 1);
}
