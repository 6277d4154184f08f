import { execa, type Options, type Result, type ResultPromise } from 'execa';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The unprivileged uid the tests switch to when they run as root. */
export const UNPRIVILEGED_UID = 65534;

/**
 * Runs `argv` as an ordinary user (uid 65534) from this checkout: as root, in a private mount
 * namespace where the checkout is bind-mounted at a world-traversable path (a clone under a 0700
 * home stays unreadable to that uid otherwise), then `setpriv` drops to the uid with no
 * privileges left. The returned promise resolves with the command's result.
 */
export async function runUnprivileged(argv: string[], options: Options & { cwdInCheckout?: string } = {}): Promise<Result> {
  if (process.getuid?.() !== 0) throw new Error('runUnprivileged needs root (to switch uid); this process is already unprivileged');
  const mount = mkdtempSync(path.join(os.tmpdir(), 'hypotree-checkout-'));
  chmodSync(mount, 0o755);
  const script = 'mount --bind "$1" "$2" && cd "$2/$3" && shift 3 && exec setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs -- "$@"';
  try {
    return await execa('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', process.cwd(), mount, options.cwdInCheckout ?? '.', ...argv], {
      reject: false,
      all: true,
      ...options,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...(options.env ?? {}) },
      extendEnv: false,
    });
  } finally {
    rmSync(mount, { recursive: true, force: true });
  }
}

/**
 * Starts `argv` as an ordinary user (uid 65534) from this checkout, as `runUnprivileged` does, but
 * returns at once with the running process (a long-lived service); `stop()` ends it and removes
 * the mount point.
 */
export function spawnUnprivileged(argv: string[], options: Options = {}): { process: ResultPromise; stop(): Promise<void> } {
  if (process.getuid?.() !== 0) throw new Error('spawnUnprivileged needs root (to switch uid)');
  const mount = mkdtempSync(path.join(os.tmpdir(), 'hypotree-checkout-'));
  chmodSync(mount, 0o755);
  const script = 'mount --bind "$1" "$2" && cd "$2" && shift 2 && exec setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs -- "$@"';
  // Its own process group: the uid switch clears a parent-death signal, so the service is stopped by
  // signalling the whole group.
  const child = execa('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', process.cwd(), mount, ...argv], {
    reject: false,
    all: true,
    detached: true,
    ...options,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...(options.env ?? {}) },
    extendEnv: false,
  });
  return {
    process: child,
    async stop() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await Promise.race([child, new Promise((r) => setTimeout(r, 5_000))]);
      rmSync(mount, { recursive: true, force: true });
    },
  };
}
