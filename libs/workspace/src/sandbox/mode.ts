import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bwrapArgv } from './bwrap.js';
import type { SandboxView } from './view.js';

/**
 * How experiment processes are isolated on this machine, measured once by starting a real
 * sandbox: `allowlist` (bubblewrap works: see `bwrap.ts`) or `none` (it is missing or cannot
 * start; the reason says which). `HYPOTREE_SANDBOX=none` forces `none`, for a user who knows
 * bubblewrap is broken here and for the tests that show what the sandbox prevents.
 */
export type SandboxMode = { kind: 'allowlist'; bwrap: string } | { kind: 'none'; reason: string };

let measured: SandboxMode | undefined;

// An executable file on PATH (looked up, not run: on a loaded machine a run can outlast any timeout).
function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Measures once whether the allowlist sandbox works here (starts `true` in a real one). */
export function sandboxMode(): SandboxMode {
  if (measured !== undefined) return measured;
  measured = probe();
  return measured;
}

function probe(): SandboxMode {
  if (process.env.HYPOTREE_SANDBOX === 'none') return { kind: 'none', reason: 'HYPOTREE_SANDBOX=none' };
  const bwrap = which('bwrap');
  if (bwrap === undefined) return { kind: 'none', reason: 'bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hypotree-probe-'));
  try {
    const view: SandboxView = {
      binds: [{ host: dir, inside: '/work', writable: true }],
      cwd: dir,
      limits: { cpuSec: 10, memoryBytes: 1 << 30, processes: 64, fileBytes: 1 << 20, tmpBytes: 1 << 20 },
    };
    const [command, args] = bwrapArgv(bwrap, view, 'true', [], '/work');
    // A generous limit: a sandbox that starts slowly on a loaded machine still works, and must not be taken for a missing one.
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    return { kind: 'allowlist', bwrap };
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { kind: 'none', reason: `bubblewrap cannot start a sandbox here: ${stderr || (err as Error).message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
