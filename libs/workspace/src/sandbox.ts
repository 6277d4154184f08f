/**
 * How experiment processes are isolated, measured on the machine at first use.
 *
 * `isolated` (hypotree runs as root and `unshare` + `setpriv` work): every evaluator, setup
 * and agent process starts as
 *   unshare --mount --propagation private --pid --fork --kill-child --mount-proc [--net]
 *     sh: cover each hidden path (tmpfs mode 000 over a folder, /dev/null over a file),
 *     then setpriv --reuid/--regid <unprivileged uid> --clear-groups --no-new-privs
 * so the process
 *   - cannot see sealed data (the path is covered in its mount namespace, and as an
 *     unprivileged uid it cannot unmount the cover);
 *   - cannot read hypotree's environment (API keys): its own env is scrubbed, /proc is a
 *     fresh pid namespace, and other uids' /proc/<pid>/environ are unreadable anyway;
 *   - dies with all its descendants on timeout (killing the namespace's init kills the
 *     whole pid namespace, even processes that left the process group with setsid);
 *   - has no network when `network: false` (evaluators), so a sealed run cannot send data out.
 * Experiments run as `EXPERIMENT_UID`, sealed evaluators as `SEALED_UID`, so an experiment
 * cannot reach into a running sealed evaluator through /proc either.
 *
 * Limits: processes can still write to world-writable folders (/tmp, /var/tmp, /dev/shm), so
 * a candidate's code running under a sealed evaluator could leave sealed data there for a
 * later experiment; sealed data readable by other host users is hidden only from hypotree's
 * own processes; and a folder of worktrees must be traversable by the unprivileged uids.
 *
 * `none` (not root, or the tools are missing): processes run as hypotree's own user with a
 * scrubbed environment in their own process group. That keeps honest code honest but does
 * not stop code that knows a sealed path; the evidence records which mode was used.
 */
import { execFileSync } from 'node:child_process';

/** Unprivileged uid/gid for experiment processes (dev evaluator, setup, agent). */
export const EXPERIMENT_UID = 65534;
/** Unprivileged uid/gid for sealed (gate/test) evaluator processes. */
export const SEALED_UID = 65533;

export type SandboxMode = { kind: 'isolated' } | { kind: 'none'; reason: string };

/** Who a sandboxed process runs as, what it must not see, and whether it gets network. */
export interface Confinement {
  uid: number;
  hide: readonly string[];
  network: boolean;
}

const COVER_SCRIPT = [
  'uid=$1; shift',
  'while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do',
  '  if [ -d "$1" ]; then mount -t tmpfs -o size=4k,mode=000 hypotree-sealed "$1" || exit 125;',
  '  elif [ -e "$1" ]; then mount --bind /dev/null "$1" || exit 125; fi',
  '  shift',
  'done',
  'shift',
  'exec setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs -- "$@"',
].join('\n');

let measured: SandboxMode | undefined;

/** Measures once whether the isolated mode works here (runs a tiny confined `true`). */
export function sandboxMode(): SandboxMode {
  if (measured !== undefined) return measured;
  if (process.getuid?.() !== 0) {
    measured = { kind: 'none', reason: 'hypotree is not running as root, so it cannot switch experiments to another uid' };
    return measured;
  }
  try {
    const [command, args] = confine('true', [], { uid: EXPERIMENT_UID, hide: [], network: false });
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    measured = { kind: 'isolated' };
  } catch (err) {
    measured = { kind: 'none', reason: `unshare/setpriv do not work here: ${(err as Error).message}` };
  }
  return measured;
}

/** The argv that runs `command args` confined as described in this module's comment. */
export function confine(command: string, args: readonly string[], c: Confinement): [string, string[]] {
  const ns = ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--mount-proc'];
  if (!c.network) ns.push('--net');
  return ['unshare', [...ns, '--', '/bin/sh', '-c', COVER_SCRIPT, 'hypotree-sandbox', String(c.uid), ...c.hide, '--', command, ...args]];
}
