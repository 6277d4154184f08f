import { execa, type Options, type Result } from 'execa';
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
