import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { SandboxView } from './view.js';

/** Inside uid/gid of sandboxed processes (outside they keep hypotree's uid, in a user namespace with no capabilities). */
const INSIDE_ID = '65534';

/** Top-level system entries: merged-/usr symlinks are recreated as symlinks, real folders bound read-only. */
const SYSTEM_TOP = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** The few /etc entries programs need to start and speak TLS; nothing else of /etc exists inside. */
const SYSTEM_ETC = ['/etc/ssl', '/etc/ca-certificates', '/etc/alternatives', '/etc/localtime', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d'];

/** The runtime's install prefix, bound read-only when it is not under /usr (nvm, a tarball). */
function runtimePrefix(): string | undefined {
  const prefix = path.dirname(path.dirname(process.execPath));
  return prefix === '/usr' || prefix.startsWith('/usr/') ? undefined : prefix;
}

function systemArgs(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const top of SYSTEM_TOP) {
    const host = `/${top}`;
    if (!existsSync(host)) continue;
    if (lstatSync(host).isSymbolicLink()) args.push('--symlink', readlinkSync(host), host);
    else args.push('--ro-bind', host, host);
  }
  for (const etc of SYSTEM_ETC) args.push('--ro-bind-try', etc, etc);
  const runtime = runtimePrefix();
  if (runtime !== undefined) args.push('--ro-bind', runtime, runtime);
  return args;
}

/**
 * The argv that runs `command args` inside `view`: `prlimit` sets the per-process limits, then
 * bubblewrap builds a fresh root (new user, pid, ipc, uts, cgroup and network namespaces; no
 * capabilities; no further user namespaces; a new session so it cannot push keystrokes into a
 * terminal; killed with its parent) holding only the system folders, a private /tmp, /proc of
 * its own pid namespace, a minimal /dev and the view's binds. Pure: the caller spawns it.
 */
export function bwrapArgv(bwrap: string, view: SandboxView, command: string, args: readonly string[], insideCwd: string): [string, string[]] {
  const { limits } = view;
  const limitArgs = [
    `--cpu=${Math.ceil(limits.cpuSec)}`,
    `--data=${Math.floor(limits.memoryBytes)}`,
    `--nproc=${Math.floor(limits.processes)}`,
    `--fsize=${Math.floor(limits.fileBytes)}`,
    '--core=0',
  ];
  const sandbox = [
    '--unshare-all',
    '--unshare-user',
    '--uid', INSIDE_ID,
    '--gid', INSIDE_ID,
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--hostname', 'sandbox',
    ...systemArgs(),
    '--proc', '/proc',
    '--dev', '/dev',
    '--perms', '1777', '--size', String(Math.floor(limits.tmpBytes)), '--tmpfs', '/tmp',
  ];
  for (const bind of view.binds) sandbox.push(bind.writable ? '--bind' : '--ro-bind', bind.host, bind.inside);
  for (const mask of view.masks ?? []) {
    const inside = placeMask(view, mask);
    if (inside === undefined) continue;
    if (lstatSync(mask).isDirectory()) sandbox.push('--perms', '0000', '--tmpfs', inside, '--remount-ro', inside);
    else sandbox.push('--ro-bind', '/dev/null', inside);
  }
  sandbox.push('--chdir', insideCwd, '--', command, ...args);
  return ['prlimit', [...limitArgs, '--', bwrap, ...sandbox]];
}

function placeMask(view: SandboxView, host: string): string | undefined {
  if (!existsSync(host)) return undefined;
  for (const bind of view.binds) {
    const rel = path.relative(bind.host, host);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return path.posix.join(bind.inside, rel.split(path.sep).join('/'));
  }
  return undefined;
}
