import path from 'node:path';

/**
 * What one sandboxed process may see, as an allowlist: a fresh root holding the read-only
 * system folders and runtime (see `bwrap.ts`), a private /tmp, and exactly these binds.
 * Anything not bound does not exist for the process.
 */
export interface SandboxView {
  binds: readonly Bind[];
  /** Host paths inside a bound folder to cover with an empty, read-only folder (or /dev/null for a file). */
  masks?: readonly string[];
  /** Working folder, as a host path inside one of the binds. */
  cwd: string;
  limits: ResourceLimits;
}

/** A host path and where it appears inside the sandbox. */
export interface Bind {
  host: string;
  inside: string;
  writable: boolean;
}

/** Per-process kernel limits (prlimit) and the size of the private /tmp. */
export interface ResourceLimits {
  /** CPU seconds per process. */
  cpuSec: number;
  /**
   * Writable memory per process, bytes (RLIMIT_DATA: heap and private writable mappings). Not the
   * address space: WebAssembly (Node's fetch among others) reserves far more than it uses.
   */
  memoryBytes: number;
  /** Processes of the sandbox's uid (enforced by the kernel only when hypotree is not root). */
  processes: number;
  /** Largest file a process may write, bytes. */
  fileBytes: number;
  /** Size of the private /tmp, bytes. */
  tmpBytes: number;
}

/** Fixed places inside every sandbox, so nothing depends on the host's folder layout. */
export const INSIDE = {
  /** The candidate's worktree. */
  work: '/work',
  /** The task folder (trusted scorer only), read-only. */
  task: '/task',
  /** The evaluator's data (trusted scorer only), read-only. */
  data: '/data',
  /** hypotree's scorer library, where Node's resolution finds `@hypotree/scorer` from /task. */
  scorerLibrary: '/node_modules/@hypotree/scorer',
  tmp: '/tmp',
} as const;

/**
 * Where `hostPath` appears to a process run with `view`: its place inside the bind that holds
 * it when the process is sandboxed, the host path itself when it is not. Throws when the path
 * is not visible at all (a caller bug: it would hand the process a path that does not exist).
 */
export function placed(view: SandboxView, hostPath: string, sandboxed: boolean): string {
  if (!sandboxed) return hostPath;
  let best: Bind | undefined;
  for (const bind of view.binds) {
    const rel = path.relative(bind.host, hostPath);
    const inside = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    if (inside && (best === undefined || bind.host.length > best.host.length)) best = bind;
  }
  if (best === undefined) throw new Error(`${hostPath} is not bound into the sandbox`);
  return path.posix.join(best.inside, path.relative(best.host, hostPath).split(path.sep).join('/'));
}
