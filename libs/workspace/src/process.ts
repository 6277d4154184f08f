import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { scrubbedEnv } from './env.js';
import { bwrapArgv, INSIDE, placed, sandboxMode, type SandboxMode, type SandboxView } from './sandbox/index.js';

/** One process run: the command, what it may see, for how long, and what it gets on stdin. */
export interface RunRequest {
  command: string;
  args: readonly string[];
  view: SandboxView;
  /** Folder for a private HOME when there is no sandbox (a sandboxed process uses its private /tmp). */
  scratch: string;
  timeoutMs: number;
  /** Bytes of stderr kept (the tail), and of stdout unless `stdoutLimitBytes` is set. */
  outputCapBytes: number;
  /** Keep stdout whole as data; a process that writes more is killed and `overflowed`. */
  stdoutLimitBytes?: number;
  env?: Record<string, string>;
  stdin?: string;
  signal?: AbortSignal;
  /** The sandbox to use; the machine's (`sandboxMode()`) unless a caller decides otherwise. */
  sandbox?: SandboxMode;
}

/** What a run did: exit status, whether hypotree killed it, and the captured (capped) output. */
export interface RunOutcome {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  aborted: boolean;
  /** stdout went past `stdoutLimitBytes` and the process was killed. */
  overflowed: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  sandbox: SandboxMode['kind'];
}

/** Keeps the last `cap` bytes of a stream. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.cap && this.chunks.length > 0) {
      const over = this.size - this.cap;
      const first = this.chunks[0]!;
      this.truncated = true;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
      }
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Keeps a stream whole up to `limit` bytes and says when it went past. */
class OutputWhole {
  private chunks: Buffer[] = [];
  private size = 0;
  overflowed = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): boolean {
    if (this.overflowed) return false;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.overflowed = true;
      this.chunks = [];
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/**
 * Runs one process in its own process group with a scrubbed environment, inside its sandbox
 * view when the machine has one (see `sandbox/`); on timeout, abort or stdout overflow the
 * whole group is killed (and with it the sandbox, whose processes die with their parent).
 */
export async function runProcess(req: RunRequest): Promise<RunOutcome> {
  const started = Date.now();
  const mode = req.sandbox ?? sandboxMode();
  const sandboxed = mode.kind === 'allowlist';
  const home = sandboxed ? undefined : await mkdtemp(path.join(req.scratch, 'home-'));
  const [command, args] = sandboxed
    ? bwrapArgv(mode.bwrap, req.view, req.command, req.args, placed(req.view, req.view.cwd, true))
    : [req.command, [...req.args]];
  const stdout = req.stdoutLimitBytes === undefined ? new OutputTail(req.outputCapBytes) : new OutputWhole(req.stdoutLimitBytes);
  const stderr = new OutputTail(req.outputCapBytes);
  let timedOut = false;
  let aborted = false;
  try {
    const child = execa(command, args, {
      cwd: sandboxed ? '/' : req.view.cwd,
      env: scrubbedEnv(home ?? INSIDE.tmp, req.env),
      extendEnv: false,
      detached: true,
      reject: false,
      buffer: false,
      input: req.stdin ?? '',
    });
    child.stdout?.on('data', (c: Buffer) => {
      if (stdout.push(c) === false) killGroup(child.pid);
    });
    child.stderr?.on('data', (c: Buffer) => stderr.push(c));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, Math.min(2 ** 31 - 1, Math.max(1, req.timeoutMs)));
    const onAbort = () => {
      aborted = true;
      killGroup(child.pid);
    };
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const result = await child;
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
    killGroup(child.pid);
    return {
      exitCode: result.exitCode,
      signal: result.signal ?? undefined,
      timedOut,
      aborted,
      overflowed: stdout instanceof OutputWhole && stdout.overflowed,
      stdout: stdout.text(),
      stderr: result.failed && result.exitCode === undefined && !timedOut && !aborted ? `${stderr.text()}${result.message}` : stderr.text(),
      truncated: (stdout instanceof OutputTail && stdout.truncated) || stderr.truncated,
      durationMs: Date.now() - started,
      sandbox: mode.kind,
    };
  } finally {
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  }
}
