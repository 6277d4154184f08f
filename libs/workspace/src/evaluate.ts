import { commandLine, currentEvaluatorHash, tail, type Task } from '@hypotree/task';
import { runProcess } from './process.js';
import type { RunScore } from '@hypotree/events';
import type { SandboxMode } from './sandbox/index.js';
import { scoreOnce, type ScoringSite } from './scoring/session.js';
import type { CandidateRunRecord, EvaluationFailureKind } from './scoring/verdict.js';
import { candidateView } from './views.js';

/** Where and how evaluator runs happen for one worktree. */
export type EvaluationSite = ScoringSite;

/** The result of running an evaluator once per seed: all scores, or the first failure. */
export type Evaluation = (
  | { ok: true; runs: RunScore[] }
  | { ok: false; kind: EvaluationFailureKind; detail: string; runs: RunScore[] }
) & {
  stdoutTail: string;
  stderrTail: string;
  sandbox: SandboxMode['kind'];
  candidateRuns: CandidateRunRecord[];
  /** The task folder's evaluator hash right after the evaluation: a scorer changed meanwhile shows here. */
  evaluatorHash: string;
};

async function runSetup(site: EvaluationSite): Promise<{ ok: true } | { ok: false; detail: string; stdoutTail: string; stderrTail: string }> {
  const setup = site.task.spec.setup;
  if (setup === undefined) return { ok: true };
  const timeoutMs = Math.max(1, Math.min(setup.timeoutSec * 1000, site.deadline - Date.now()));
  const [command, args] = commandLine(site.task, setup);
  const outcome = await runProcess({
    command,
    args,
    view: candidateView(site.task, site.worktree, true, timeoutMs),
    scratch: site.scratch,
    timeoutMs,
    outputCapBytes: site.task.spec.budgets.outputCapBytes,
    signal: site.signal,
    sandbox: site.sandbox,
  });
  if (outcome.exitCode === 0 && !outcome.timedOut) return { ok: true };
  const how = outcome.timedOut ? 'timed out' : `exited with ${outcome.exitCode ?? outcome.signal}`;
  return { ok: false, detail: `setup ${how}`, stdoutTail: tail(outcome.stdout), stderrTail: tail(outcome.stderr) };
}

/**
 * Runs the task's setup (if any, in the candidate's sandbox with its worktree writable), then the
 * `which` scorer once per seed; stops at the first run without a score.
 */
export async function evaluate(site: EvaluationSite, which: 'dev' | 'gate' | 'test', seeds: readonly number[]): Promise<Evaluation> {
  const runs: RunScore[] = [];
  const candidateRuns: CandidateRunRecord[] = [];
  const context = () => ({ sandbox: site.sandbox.kind, candidateRuns, evaluatorHash: currentEvaluatorHash(site.task) });
  const setup = await runSetup(site);
  if (!setup.ok) return { ok: false, kind: 'crash', detail: setup.detail, runs, stdoutTail: setup.stdoutTail, stderrTail: setup.stderrTail, ...context() };
  let last = { stdoutTail: '', stderrTail: '' };
  for (const seed of seeds) {
    const result = await scoreOnce(site, which, seed);
    candidateRuns.push(...result.candidateRuns);
    last = { stdoutTail: result.stdoutTail, stderrTail: result.stderrTail };
    if (!result.ok) return { ok: false, kind: result.kind, detail: `${which} evaluation (seed ${seed}): ${result.detail}`, runs, ...last, ...context() };
    runs.push({ seed, value: result.value, durationMs: result.durationMs });
  }
  return { ok: true, runs, ...last, ...context() };
}

/** Mean of the run values. */
export function meanScore(runs: readonly RunScore[]): number {
  return runs.reduce((sum, r) => sum + r.value, 0) / runs.length;
}

/** Seeds 1..n, the default when the caller does not choose seeds. */
export function defaultSeeds(task: Task): number[] {
  return Array.from({ length: task.spec.budgets.repeats }, (_, i) => i + 1);
}
