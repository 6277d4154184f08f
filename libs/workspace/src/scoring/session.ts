import type { RunReply, ScorerMessage } from '@hypotree/scorer';
import { commandLine, type Task } from '@hypotree/task';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Duplex } from 'node:stream';
import { scrubbedEnv } from '../env.js';
import { runProcess, type RunOutcome } from '../process.js';
import { bwrapArgv, INSIDE, placed, type SandboxMode } from '../sandbox/index.js';
import { candidateView, evaluatorData, scorerLibraryDir, scorerView } from '../views.js';
import { parseScorerLine, replyLine } from './channel.js';
import { verdictOf, type CandidateRunRecord, type ScoringTranscript, type ScoringVerdict } from './verdict.js';

/** Where one evaluation happens: the task, the candidate's worktree, its time limit, its sandbox. */
export interface ScoringSite {
  task: Task;
  worktree: string;
  /** Folder for private homes when there is no sandbox. */
  scratch: string;
  /** Epoch ms after which nothing more may run. */
  deadline: number;
  sandbox: SandboxMode;
  signal?: AbortSignal;
}

/** A scorer run's verdict with what it took and the tails of the scorer's own output (logs, never parsed). */
export type ScoringResult = ScoringVerdict & { durationMs: number; candidateRuns: CandidateRunRecord[]; stdoutTail: string; stderrTail: string };

/** Largest scorer message accepted (the scorer's inputs for the candidate travel in it). */
const MAX_MESSAGE_CHARS = 64 * 1024 * 1024;
const TAIL_BYTES = 4000;

function tailOf(stream: Readable | null): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-TAIL_BYTES);
  });
  return () => text;
}

// `sessionTimedOut`: the evaluation's own limit ran out, which stops a candidate run still going. Its
// timer and the run's start a few milliseconds apart, so either may fire first: both are a timeout.
function candidateFailure(outcome: RunOutcome, sessionTimedOut: boolean): { failure: 'timeout' | 'crash' | 'output-cap'; detail: string } | undefined {
  if (outcome.timedOut || (outcome.aborted && sessionTimedOut)) return { failure: 'timeout', detail: 'exceeded its wall-clock limit and was killed' };
  if (outcome.overflowed) return { failure: 'output-cap', detail: 'wrote more output than its cap and was killed' };
  if (outcome.aborted) return { failure: 'crash', detail: 'was aborted' };
  if (outcome.exitCode !== 0) return { failure: 'crash', detail: outcome.exitCode === undefined ? `was killed by ${outcome.signal ?? 'a signal'}` : `exited with code ${outcome.exitCode}` };
  return undefined;
}

/**
 * Runs the task's `which` scorer once for `seed`: the trusted scorer in its own sandbox (task
 * folder, its data), talking to hypotree on fd 3; every candidate run it asks for happens in a
 * separate sandbox (the worktree, read-only), and only its stdout goes back, as data. The score
 * is what the scorer reported on the channel, judged by `verdictOf`.
 */
export async function scoreOnce(site: ScoringSite, which: 'dev' | 'gate' | 'test', seed: number): Promise<ScoringResult> {
  const started = Date.now();
  const { task } = site;
  const evaluator = task.spec.evaluators[which];
  const limitMs = Math.max(1, Math.min(evaluator.timeoutSec * 1000, site.deadline - started));
  const view = scorerView(task, which, limitMs);
  const sandboxed = site.sandbox.kind === 'allowlist';
  const at = (host: string) => placed(view, host, sandboxed);
  const [command, args] = commandLine({ ...task, dir: at(task.dir) }, evaluator);
  const data = evaluatorData(task, which);
  const home = sandboxed ? undefined : await mkdtemp(path.join(site.scratch, 'scorer-'));
  const env = scrubbedEnv(home ?? INSIDE.tmp, {
    HYPOTREE_EVALUATION: which,
    HYPOTREE_SEED: String(seed),
    HYPOTREE_METRIC: task.spec.objective.metric,
    ...(data === undefined ? {} : { HYPOTREE_DATA: at(data) }),
    ...(sandboxed ? {} : { NODE_OPTIONS: `--import=${new URL('dist/register.js', `file://${scorerLibraryDir()}/`).href}` }),
  });
  const seeded = args.map((a) => a.split('{seed}').join(String(seed)));
  const [file, argv] = site.sandbox.kind === 'allowlist' ? bwrapArgv(site.sandbox.bwrap, view, command, seeded, at(task.dir)) : [command, seeded];

  const candidateRuns: CandidateRunRecord[] = [];
  const reports: ScoringTranscript['reports'][number][] = [];
  const protocolErrors: string[] = [];
  const exit = { code: undefined as number | undefined, signal: undefined as string | undefined, timedOut: false, aborted: false, limitMs };
  const running = new Set<Promise<void>>();
  const stop = new AbortController();

  const child = spawn(file, argv, { cwd: sandboxed ? '/' : task.dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const kill = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const stdoutTail = tailOf(child.stdout);
  const stderrTail = tailOf(child.stderr);
  const channel = child.stdio[3] as Duplex;

  const runCandidate = async (message: Extract<ScorerMessage, { type: 'run' }>) => {
    const cap = task.spec.budgets.outputCapBytes;
    const leftMs = started + limitMs - Date.now();
    const timeoutMs = Math.max(1, Math.min(leftMs, (message.timeoutSec ?? Infinity) * 1000));
    const outcome = await runProcess({
      command: message.command,
      args: message.args,
      view: candidateView(task, site.worktree, false, timeoutMs),
      scratch: site.scratch,
      timeoutMs,
      outputCapBytes: TAIL_BYTES,
      stdoutLimitBytes: Math.min(message.maxOutputBytes ?? cap, cap),
      stdin: message.input,
      signal: stop.signal,
      sandbox: site.sandbox,
    });
    const failed = candidateFailure(outcome, exit.timedOut);
    const allowFailure = message.allowFailure ?? false;
    const stderr = outcome.stderr.slice(-TAIL_BYTES);
    candidateRuns.push({ id: message.id, command: [message.command, ...message.args].join(' '), ok: failed === undefined, ...failed, allowFailure, durationMs: outcome.durationMs, stderrTail: stderr });
    const reply: RunReply =
      failed === undefined
        ? { type: 'ran', id: message.id, ok: true, output: outcome.stdout, durationMs: outcome.durationMs, stderrTail: stderr }
        : { type: 'ran', id: message.id, ok: false, ...failed, durationMs: outcome.durationMs, stderrTail: stderr };
    if (!channel.destroyed) channel.write(replyLine(reply));
  };

  let buffer = '';
  channel.setEncoding('utf8');
  channel.on('error', () => undefined);
  channel.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_MESSAGE_CHARS) {
      protocolErrors.push(`a message longer than ${MAX_MESSAGE_CHARS} characters`);
      buffer = '';
      kill();
      return;
    }
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim() === '') continue;
      const parsed = parseScorerLine(line);
      if (!parsed.ok) {
        protocolErrors.push(parsed.reason);
        kill();
        return;
      }
      if (parsed.message.type === 'run') {
        const run = runCandidate(parsed.message).finally(() => running.delete(run));
        running.add(run);
      } else {
        reports.push(parsed.message);
      }
    }
  });

  const timer = setTimeout(() => {
    exit.timedOut = true;
    stop.abort();
    kill();
  }, limitMs);
  const onAbort = () => {
    exit.aborted = true;
    stop.abort();
    kill();
  };
  if (site.signal?.aborted) onAbort();
  site.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve) => {
      child.on('error', (err) => {
        protocolErrors.push(`the scorer could not start: ${err.message}`);
        resolve();
      });
      child.on('close', (code, signal) => {
        exit.code = code ?? undefined;
        exit.signal = signal ?? undefined;
        resolve();
      });
    });
  } finally {
    clearTimeout(timer);
    site.signal?.removeEventListener('abort', onAbort);
    stop.abort();
    kill();
    await Promise.allSettled([...running]);
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  }
  const verdict = verdictOf({ metric: task.spec.objective.metric, exit, candidateRuns, reports, protocolErrors });
  // When the candidate is at fault its own stderr says why; otherwise the scorer's output does.
  const logs = !verdict.ok && verdict.candidateRun !== undefined ? { stdoutTail: '', stderrTail: verdict.candidateRun.stderrTail } : { stdoutTail: stdoutTail(), stderrTail: stderrTail() };
  return { ...verdict, durationMs: Date.now() - started, candidateRuns, ...logs };
}
