import type { Task } from '@hypotree/task';
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { git, GitError } from './git.js';

/** The git repository experiments branch from, where hypotree keeps its worktrees, and the base commit. */
export interface ArtifactRepo {
  /** Git dir (bare, hypotree-owned) or the work tree of the task's own repository. */
  path: string;
  baseCommit: string;
  /** hypotree's working folder for this task (worktrees, private homes). */
  workdir: string;
}

/**
 * Creates a folder and its missing parents one level at a time; a level that cannot be made is one
 * clear error. (Node's recursive mkdir loops forever under /proc, where mkdir answers ENOENT for a
 * parent that exists.)
 */
function makeFolders(dir: string, what: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw new Error(`cannot create ${what} ${dir}: mkdir ${d} failed (${e.code ?? e.message}); choose another --workdir`);
    }
  }
}

/** Fixed date of the import commit, so the same folder always yields the same base commit. */
const IMPORT_DATE = '2000-01-01T00:00:00+0000';

async function isRepoRoot(dir: string): Promise<boolean> {
  try {
    const top = await git(dir, ['rev-parse', '--show-toplevel']);
    return realpathSync(top) === realpathSync(dir);
  } catch {
    return false;
  }
}

async function importFolder(folder: string, gitDir: string, taskName: string): Promise<string> {
  if (!existsSync(path.join(gitDir, 'HEAD'))) {
    makeFolders(gitDir, 'the artifact repository');
    await git(gitDir, ['init', '--quiet', '--bare', '--initial-branch=main']);
  }
  const indexDir = await mkdtemp(path.join(os.tmpdir(), 'hypotree-index-'));
  try {
    const env = {
      GIT_DIR: gitDir,
      GIT_WORK_TREE: folder,
      GIT_INDEX_FILE: path.join(indexDir, 'index'),
      GIT_AUTHOR_DATE: IMPORT_DATE,
      GIT_COMMITTER_DATE: IMPORT_DATE,
    };
    await git(folder, ['add', '--all', '.'], env);
    const tree = await git(folder, ['write-tree'], env);
    const commit = await git(folder, ['commit-tree', tree, '-m', `hypotree: import task ${taskName}`], env);
    await git(gitDir, ['update-ref', 'refs/heads/main', commit]);
    return commit;
  } finally {
    await rm(indexDir, { recursive: true, force: true });
  }
}

/**
 * Makes the task's artifact a git repository hypotree can branch from and returns its base
 * commit: a git repository is used as is (at `baseCommit` or HEAD); a plain folder is imported
 * into a bare repo under `<workdir>/repos/<task>` with a deterministic commit.
 */
export async function prepareArtifact(task: Task, workdir = path.resolve('.hypotree')): Promise<ArtifactRepo> {
  const taskWorkdir = path.resolve(workdir, task.spec.name);
  makeFolders(path.join(taskWorkdir, 'worktrees'), "the task's working folder");
  if (await isRepoRoot(task.repo)) {
    const wanted = task.spec.baseCommit ?? 'HEAD';
    try {
      const baseCommit = await git(task.repo, ['rev-parse', '--verify', `${wanted}^{commit}`]);
      return { path: task.repo, baseCommit, workdir: taskWorkdir };
    } catch (err) {
      if (!(err instanceof GitError)) throw err;
      throw new Error(`${task.specPath}: baseCommit ${wanted} is not a commit of ${task.repo}; fix baseCommit or fetch it`);
    }
  }
  const gitDir = path.join(taskWorkdir, 'repo.git');
  const baseCommit = await importFolder(task.repo, gitDir, task.spec.name);
  if (task.spec.baseCommit !== undefined && !baseCommit.startsWith(task.spec.baseCommit)) {
    throw new Error(
      `${task.specPath}: baseCommit ${task.spec.baseCommit} does not match the imported folder (${baseCommit}); remove baseCommit or update it`,
    );
  }
  return { path: gitDir, baseCommit, workdir: taskWorkdir };
}
