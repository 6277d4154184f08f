import { randomUUID } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactRepo } from './artifact.js';
import { git, GitError } from './git.js';
import { ownerFile, thisProcess } from './worktree-owner.js';

/** A checked-out worktree and the content of its `.git` link file (to detect tampering). */
export interface Worktree {
  dir: string;
  gitLink: string;
}

// Git's worktree bookkeeping (worktrees/<name>/commondir, gitdir, locks) is not safe against
// concurrent add and prune in one repository: a prune can read an entry an add is still writing
// ("failed to read worktrees/…/commondir"). So they run one at a time per repository here, and a
// failure git reports as transient is retried.
const queues = new Map<string, Promise<unknown>>();
const TRANSIENT = /commondir|gitdir|\.lock'?: File exists|could not lock|Unable to create .*\.lock/i;

function serialized<T>(repo: ArtifactRepo, step: () => Promise<T>): Promise<T> {
  const previous = queues.get(repo.path) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => retried(step));
  queues.set(repo.path, next);
  return next;
}

async function retried<T>(step: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof GitError) || !TRANSIENT.test(error.message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

/**
 * Adds a detached worktree of `commit` under the workdir. Its owner (this process) is written beside
 * it first, so a worktree whose process died without removing it (kill -9, a crash) can be told from
 * one in use, and removed (see `removeOrphanedWorktrees`).
 */
export async function addWorktree(repo: ArtifactRepo, commit: string, label: string): Promise<Worktree> {
  const dir = path.join(repo.workdir, 'worktrees', `${label}-${randomUUID().slice(0, 8)}`);
  await writeFile(ownerFile(dir), JSON.stringify(thisProcess()));
  try {
    await serialized(repo, () => git(repo.path, ['worktree', 'add', '--quiet', '--detach', dir, commit]));
  } catch (error) {
    await rm(ownerFile(dir), { force: true });
    throw error;
  }
  return { dir, gitLink: await readFile(path.join(dir, '.git'), 'utf8') };
}

/** Removes a worktree, its owner record and its admin entry; safe to call after a failure. */
export async function removeWorktree(repo: ArtifactRepo, worktree: Worktree): Promise<void> {
  await rm(worktree.dir, { recursive: true, force: true });
  await rm(ownerFile(worktree.dir), { force: true });
  await serialized(repo, () => git(repo.path, ['worktree', 'prune']));
}

/** `git worktree prune` in a repository (a git dir or a work tree), retried when git reports a transient lock. */
export async function pruneWorktrees(gitPath: string): Promise<void> {
  await retried(() => git(gitPath, ['worktree', 'prune']));
}

/** Commits everything in the worktree (also when nothing changed) and points `ref` at it. */
export async function commitWorktree(worktree: Worktree, ref: string, message: string): Promise<string> {
  await git(worktree.dir, ['add', '--all', '.']);
  await git(worktree.dir, ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', message]);
  const sha = (await detachedHead(worktree)) ?? (await git(worktree.dir, ['rev-parse', 'HEAD']));
  await git(worktree.dir, ['update-ref', ref, sha]);
  return sha;
}

/** The commit a detached worktree is on, read from its admin folder (saves a git process per experiment). */
async function detachedHead(worktree: Worktree): Promise<string | undefined> {
  const gitDir = /^gitdir: (.+)$/m.exec(worktree.gitLink)?.[1]?.trim();
  if (gitDir === undefined) return undefined;
  const head = (await readFile(path.join(gitDir, 'HEAD'), 'utf8').catch(() => '')).trim();
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head) ? head : undefined;
}

/** Files changed between two commits, with line counts (binary files count 0). */
export interface DiffStat {
  files: { path: string; insertions: number; deletions: number }[];
  insertions: number;
  deletions: number;
}

/** The diffstat of `to` against `from`. */
export async function diffStat(cwd: string, from: string, to: string): Promise<DiffStat> {
  const out = await git(cwd, ['diff', '--numstat', '-z', '--no-renames', from, to]);
  const files = out
    .split('\0')
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const [ins, del, ...rest] = entry.split('\t');
      return { path: rest.join('\t'), insertions: Number(ins) || 0, deletions: Number(del) || 0 };
    });
  return {
    files,
    insertions: files.reduce((n, f) => n + f.insertions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
  };
}
