import { Socket } from 'node:net';
import { SCORING_FD, type CandidateFailure, type RunReply, type ScorerMessage } from './protocol.js';

export * from './protocol.js';

/** What this scorer run is for, from the environment hypotree gives it. */
export interface ScoringContext {
  evaluation: 'dev' | 'gate' | 'test';
  /** The seed of this run (the scorer passes it on to the candidate if the candidate needs one). */
  seed: number;
  /** The objective's metric name; `reportMetric` reports under it. */
  metric: string;
  /** The evaluator's data (a file or folder), when the task declares one; sealed data for gate and test. */
  data: string | undefined;
}

/** The context of the current scorer run. */
export function scoringContext(): ScoringContext {
  const evaluation = process.env.HYPOTREE_EVALUATION;
  if (evaluation !== 'dev' && evaluation !== 'gate' && evaluation !== 'test') {
    throw new Error('HYPOTREE_EVALUATION is not set: this scorer must be run by hypotree (it talks to hypotree on fd 3)');
  }
  return {
    evaluation,
    seed: Number(process.env.HYPOTREE_SEED ?? '1'),
    metric: process.env.HYPOTREE_METRIC ?? '',
    data: process.env.HYPOTREE_DATA || undefined,
  };
}

/** What one candidate run gave back. */
export type CandidateResult =
  | { ok: true; output: string; durationMs: number; stderrTail: string }
  | { ok: false; failure: CandidateFailure; detail: string; durationMs: number; stderrTail: string };

/** A candidate run failed and the request did not allow failure: the evaluation has already failed. */
export class CandidateFailed extends Error {
  constructor(
    readonly failure: CandidateFailure,
    detail: string,
  ) {
    super(`candidate run failed (${failure}): ${detail}`);
    this.name = 'CandidateFailed';
  }
}

/** Options of one candidate run. */
export interface CandidateRun {
  command: string;
  args?: string[];
  /** Given to the candidate on stdin: a string as is, anything else as JSON. */
  input?: unknown;
  timeoutSec?: number;
  maxOutputBytes?: number;
  allowFailure?: boolean;
}

class Channel {
  private readonly socket: Socket;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, (reply: RunReply) => void>();

  constructor() {
    try {
      this.socket = new Socket({ fd: SCORING_FD, readable: true, writable: true });
    } catch (err) {
      throw new Error(`fd ${SCORING_FD} is not a scoring channel (${(err as Error).message}): this scorer must be run by hypotree`);
    }
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => this.receive(chunk));
    this.socket.on('error', () => this.failAll());
    this.socket.on('close', () => this.failAll());
    this.socket.unref();
  }

  run(request: Omit<Extract<ScorerMessage, { type: 'run' }>, 'type' | 'id'>): Promise<RunReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) => (reply.id === id ? resolve(reply) : reject(new Error('scoring channel closed'))));
      this.socket.ref();
      this.socket.write(`${JSON.stringify({ type: 'run', id, ...request })}\n`);
    });
  }

  async finish(message: ScorerMessage): Promise<void> {
    await new Promise<void>((resolve) => this.socket.end(`${JSON.stringify(message)}\n`, () => resolve()));
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (let newline = this.buffer.indexOf('\n'); newline >= 0; newline = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      const reply = JSON.parse(line) as RunReply;
      const settle = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.socket.unref();
      settle?.(reply);
    }
  }

  private failAll(): void {
    for (const settle of this.pending.values()) settle({ type: 'ran', id: -1, ok: false, failure: 'crash', detail: 'channel closed', durationMs: 0, stderrTail: '' });
    this.pending.clear();
  }
}

let channel: Channel | undefined;
const open = () => (channel ??= new Channel());

/**
 * Runs the candidate once in its own sandbox (its worktree, no sealed data, no network) with
 * `input` on stdin and returns its stdout as data. Unless `allowFailure`, a failed run throws
 * `CandidateFailed`: the evaluation has failed and nothing reported afterwards counts.
 */
export async function runCandidate(run: CandidateRun): Promise<CandidateResult> {
  const input = run.input === undefined ? '' : typeof run.input === 'string' ? run.input : JSON.stringify(run.input);
  const reply = await open().run({
    command: run.command,
    args: run.args ?? [],
    input,
    ...(run.timeoutSec !== undefined ? { timeoutSec: run.timeoutSec } : {}),
    ...(run.maxOutputBytes !== undefined ? { maxOutputBytes: run.maxOutputBytes } : {}),
    ...(run.allowFailure !== undefined ? { allowFailure: run.allowFailure } : {}),
  });
  const { type: _type, id: _id, ...result } = reply;
  if (!result.ok && !run.allowFailure) throw new CandidateFailed(result.failure, result.detail);
  return result;
}

/** Reports the evaluation's metric (once; the objective's metric unless `metric` is given) and closes the channel. */
export async function reportMetric(value: number, metric = scoringContext().metric): Promise<void> {
  if (!Number.isFinite(value)) throw new Error(`reportMetric: ${value} is not a finite number`);
  await open().finish({ type: 'metric', metric, value });
}

/** Declares the candidate's output unusable: the evaluation fails as `malformed-output`. */
export async function rejectOutput(detail: string): Promise<void> {
  await open().finish({ type: 'reject-output', detail });
}

/** Parses a candidate's output as JSON, or rejects it as malformed (and exits). */
export async function outputAsJson(result: { output: string }): Promise<unknown> {
  try {
    return JSON.parse(result.output);
  } catch (err) {
    await rejectOutput(`output is not JSON: ${(err as Error).message}; starts with ${JSON.stringify(result.output.slice(0, 80))}`);
    process.exit(0);
  }
}
