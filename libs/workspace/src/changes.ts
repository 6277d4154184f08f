import { isAllowedPath, type Task } from '@hypotree/task';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git } from './git.js';
import type { Worktree } from './worktree.js';

/** Why a change is refused: a path outside allowedPaths, git internals, a symlink, or `..`. */
export type RefusalReason = 'outside-allowed-paths' | 'git-internals' | 'symlink' | 'path-traversal';

/** One refused path with its reason. */
export interface Refusal {
  path: string;
  reason: RefusalReason;
}

function changedPaths(statusZ: string): string[] {
  const paths: string[] = [];
  const entries = statusZ.split('\0');
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') i += 1;
  }
  return paths;
}

function symlinkOnTheWay(root: string, rel: string): boolean {
  const segments = rel.replace(/\/$/, '').split('/');
  let current = root;
  for (const segment of segments) {
    current = path.join(current, segment);
    if (!existsSync(current) && !isDanglingLink(current)) return false;
    if (lstatSync(current).isSymbolicLink()) return true;
  }
  return false;
}

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Entries named `.git` below the worktree root: git status never shows them, so look on disk. */
async function nestedGitEntries(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries
    .map((e) => e.split(path.sep).join('/'))
    .filter((e) => e !== '.git' && e.split('/').at(-1) === '.git');
}

/**
 * Checks the real state of a worktree (git status, the `.git` link file, symlinks on disk)
 * against the task's allowedPaths; returns every refused path, empty when the change is acceptable.
 */
export async function refusedChanges(worktree: Worktree, task: Task): Promise<Refusal[]> {
  const refusals: Refusal[] = [];
  const link = path.join(worktree.dir, '.git');
  const linkIntact = !isDanglingLink(link) && existsSync(link) && lstatSync(link).isFile() && readFileSync(link, 'utf8') === worktree.gitLink;
  if (!linkIntact) return [{ path: '.git', reason: 'git-internals' }];
  for (const nested of await nestedGitEntries(worktree.dir)) refusals.push({ path: nested, reason: 'git-internals' });
  const status = await git(worktree.dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
  for (const rel of changedPaths(status)) {
    const clean = rel.replace(/\/$/, '');
    if (clean.split('/').includes('..')) refusals.push({ path: clean, reason: 'path-traversal' });
    else if (clean.split('/').includes('.git') || rel.endsWith('/')) refusals.push({ path: clean, reason: 'git-internals' });
    else if (symlinkOnTheWay(worktree.dir, clean)) refusals.push({ path: clean, reason: 'symlink' });
    else if (!isAllowedPath(clean, task.spec.allowedPaths)) refusals.push({ path: clean, reason: 'outside-allowed-paths' });
  }
  return refusals;
}

/** Restores the worktree's `.git` link so hypotree's own git commands stay in its repository. */
export async function restoreGitLink(worktree: Worktree): Promise<void> {
  const link = path.join(worktree.dir, '.git');
  await rm(link, { recursive: true, force: true });
  await writeFile(link, worktree.gitLink);
}
