import { execa } from 'execa';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { scrubbedEnv } from './env.js';
import { confine, sandboxMode, type Confinement } from './sandbox.js';

/** One process run: the command, where, for how long, and how it is confined. */
export interface RunRequest {
  command: string;
  args: readonly string[];
  cwd: string;
  /** Folder where a private HOME for this run is created (must be traversable by the sandbox uid). */
  scratch: string;
  timeoutMs: number;
  outputCapBytes: number;
  confinement: Confinement;
  env?: Record<string, string>;
  stdin?: string;
  signal?: AbortSignal;
}

/** What a run did: exit status, whether hypotree killed it, and the captured (capped) output. */
export interface RunOutcome {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  aborted: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  sandbox: 'isolated' | 'none';
}

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

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/**
 * Runs one process in its own process group with a scrubbed environment and private HOME,
 * confined when the machine allows it; on timeout or abort the whole group is killed.
 * Output keeps the last `outputCapBytes` of each stream (the metric line is printed last).
 */
export async function runProcess(req: RunRequest): Promise<RunOutcome> {
  const started = Date.now();
  const mode = sandboxMode();
  const home = await mkdtemp(path.join(req.scratch, 'home-'));
  if (mode.kind === 'isolated') await chown(home, req.confinement.uid, req.confinement.uid);
  const [command, args] = mode.kind === 'isolated' ? confine(req.command, req.args, req.confinement) : [req.command, [...req.args]];
  const stdout = new OutputTail(req.outputCapBytes);
  const stderr = new OutputTail(req.outputCapBytes);
  let timedOut = false;
  let aborted = false;
  try {
    const child = execa(command, args, {
      cwd: req.cwd,
      env: scrubbedEnv(home, req.env),
      extendEnv: false,
      detached: true,
      reject: false,
      buffer: false,
      input: req.stdin ?? '',
    });
    child.stdout?.on('data', (c: Buffer) => stdout.push(c));
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
      stdout: stdout.text(),
      stderr: result.failed && result.exitCode === undefined && !timedOut && !aborted ? `${stderr.text()}${result.message}` : stderr.text(),
      truncated: stdout.truncated || stderr.truncated,
      durationMs: Date.now() - started,
      sandbox: mode.kind,
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
