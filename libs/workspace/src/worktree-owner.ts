import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The process that made a worktree: host, pid and (where /proc tells) when the process started, so a reused pid is not taken for it. */
export interface WorktreeOwner {
  host: string;
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat, field 22); absent where unknown. */
  since?: number;
}

/** The file beside a worktree folder that names its owner. */
export const ownerFile = (dir: string): string => `${dir}.owner`;

/** When a process started (clock ticks since boot), or undefined off Linux or when it is gone. */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const since = Number(fields[19]);
    return Number.isFinite(since) ? since : undefined;
  } catch {
    return undefined;
  }
}

let self: WorktreeOwner | undefined;

/** This process as a worktree owner. */
export function thisProcess(): WorktreeOwner {
  self ??= { host: os.hostname(), pid: process.pid, since: processStart(process.pid) };
  return self;
}

/**
 * Whether a worktree's owner is alive: `alive`, `dead`, or `elsewhere` (another host: this one
 * cannot tell, so its worktrees are kept). A pid that now belongs to a process started at another
 * time is dead (the pid was reused).
 */
export function ownerState(owner: WorktreeOwner): 'alive' | 'dead' | 'elsewhere' {
  if (owner.host !== os.hostname()) return 'elsewhere';
  if (owner.pid === process.pid) return 'alive';
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
  }
  const since = processStart(owner.pid);
  return owner.since !== undefined && since !== undefined && since !== owner.since ? 'dead' : 'alive';
}
