import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pruneWorktrees } from './worktree.js';
import { ownerFile, ownerState, type WorktreeOwner } from './worktree-owner.js';

/** What a clean-up found: worktrees removed (their folders), and those kept with the reason. */
export interface WorktreeSweep {
  removed: string[];
  kept: { dir: string; reason: string }[];
}

async function readOwner(dir: string): Promise<WorktreeOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(ownerFile(dir), 'utf8')) as WorktreeOwner;
    return typeof owner.host === 'string' && Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** The repository whose admin entry a worktree's `.git` link names (`gitdir: <repo>/worktrees/<name>`). */
async function repoOf(dir: string): Promise<string | undefined> {
  const link = await readFile(path.join(dir, '.git'), 'utf8').catch(() => '');
  const gitDir = /^gitdir: (.+)$/m.exec(link)?.[1]?.trim();
  return gitDir === undefined ? undefined : path.dirname(path.dirname(gitDir));
}

/**
 * Removes the worktrees under one task's folder (`<workdir>/<task>/worktrees`) whose process is gone
 * (a run killed with -9, a crash): their folders, owner records and git admin entries. A worktree of
 * a live process on this host, or of a process on another host (a shared workdir), is kept. A folder
 * without an owner record was left by a version that did not write one: no live run uses it.
 */
export async function removeOrphanedWorktrees(taskWorkdir: string): Promise<WorktreeSweep> {
  const root = path.join(taskWorkdir, 'worktrees');
  const sweep: WorktreeSweep = { removed: [], kept: [] };
  if (!existsSync(root)) return sweep;
  const entries = await readdir(root, { withFileTypes: true });
  const folders = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
  const repos = new Set<string>();
  for (const name of [...folders].sort()) {
    const dir = path.join(root, name);
    const owner = await readOwner(dir);
    const state = owner === undefined ? 'dead' : ownerState(owner);
    if (state === 'alive') {
      sweep.kept.push({ dir, reason: `in use by process ${owner!.pid}` });
      continue;
    }
    if (state === 'elsewhere') {
      sweep.kept.push({ dir, reason: `made by process ${owner!.pid} on ${owner!.host}; only that host can tell whether it is in use` });
      continue;
    }
    repos.add((await repoOf(dir)) ?? path.join(taskWorkdir, 'repo.git'));
    await rm(dir, { recursive: true, force: true });
    await rm(ownerFile(dir), { force: true });
    sweep.removed.push(dir);
  }
  // Owner records whose worktree never came to be (the process died while adding it).
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.owner') || folders.has(entry.name.slice(0, -'.owner'.length))) continue;
    const dir = path.join(root, entry.name.slice(0, -'.owner'.length));
    const owner = await readOwner(dir);
    if (owner === undefined || ownerState(owner) === 'dead') await rm(ownerFile(dir), { force: true });
  }
  for (const repo of repos) if (existsSync(repo)) await pruneWorktrees(repo);
  return sweep;
}

/** Every task folder of a workdir (one that holds a `worktrees` folder), swept by `removeOrphanedWorktrees`. */
export async function collectWorktrees(workdir: string): Promise<WorktreeSweep> {
  const sweep: WorktreeSweep = { removed: [], kept: [] };
  if (!existsSync(workdir)) return sweep;
  for (const entry of await readdir(workdir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const taskWorkdir = path.join(workdir, entry.name);
    if (!(await stat(path.join(taskWorkdir, 'worktrees')).then((s) => s.isDirectory(), () => false))) continue;
    const one = await removeOrphanedWorktrees(taskWorkdir);
    sweep.removed.push(...one.removed);
    sweep.kept.push(...one.kept);
  }
  return sweep;
}
