import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Task } from '@hypotree/task';
import { z } from 'zod';
import type { ArtifactRepo } from './artifact.js';
import { git, GitError } from './git.js';

// Moving a task and its commits to an executor that shares no filesystem with the coordinator.
// A task bundle is the task folder as files (its spec, evaluators, the artifact's files with the
// dev data), without its sealed data (gate and test run on the coordinator's side only) and without
// hypotree's and git's own folders. A commit travels as a git bundle from the task's base commit,
// which every executor has, so any node's commit can be fetched alone.

/** Names that never travel (as in the evaluator hash). */
const SKIPPED = new Set(['.hypotree', '.git', 'node_modules']);

const TaskBundleSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1),
  spec: z.string().min(1),
  baseCommit: z.string().regex(/^[0-9a-f]{40}$/),
  files: z.array(z.strictObject({ path: z.string().min(1), mode: z.number().int(), data: z.string() })),
  /** Folders that exist empty on the executor's side (the sealed data's places: loadTask wants them). */
  folders: z.array(z.string().min(1)),
});
export type TaskBundle = z.infer<typeof TaskBundleSchema>;

/**
 * The task folder as one bundle (JSON bytes), without sealed data, and without `exclude` (the
 * coordinator's workdir when it lies inside the task folder: its log and repository are not the
 * task's); `baseCommit` is the artifact's.
 */
export function packTask(task: Task, baseCommit: string, exclude: readonly string[] = []): Uint8Array {
  const skip = new Set([task.sealed.gate, task.sealed.test, ...exclude].map((p) => path.resolve(p)));
  const files: TaskBundle['files'] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, entry.name);
      if (skip.has(full) || SKIPPED.has(entry.name)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push({ path: path.relative(task.dir, full).split(path.sep).join('/'), mode: lstatSync(full).mode & 0o777, data: readFileSync(full).toString('base64') });
    }
  };
  walk(task.dir);
  const rel = (p: string) => path.relative(task.dir, p).split(path.sep).join('/');
  const bundle: TaskBundle = { version: 1, name: task.spec.name, spec: rel(task.specPath), baseCommit, files, folders: [rel(task.sealed.gate), rel(task.sealed.test)] };
  return new TextEncoder().encode(JSON.stringify(bundle));
}

// A path of a bundle must stay inside the folder it is written to.
function inside(root: string, relative: string, what: string): string {
  const target = path.resolve(root, relative);
  if (path.isAbsolute(relative) || relative.split('/').includes('..') || !target.startsWith(`${root}${path.sep}`)) {
    throw new Error(`task bundle: ${what} ${JSON.stringify(relative)} is not a path inside the task folder`);
  }
  return target;
}

/**
 * Writes a task bundle into `dir` (made if missing; a bundle already written there is kept) and
 * returns the spec's path and the base commit. A malformed bundle, or one whose paths leave the
 * folder, is an error and writes nothing.
 */
export function unpackTask(bytes: Uint8Array, dir: string): { specPath: string; baseCommit: string; name: string } {
  let bundle: TaskBundle;
  try {
    bundle = TaskBundleSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (error) {
    throw new Error(`task bundle: not a task bundle (${(error as Error).message.slice(0, 200)})`);
  }
  const root = path.resolve(dir);
  const targets = bundle.files.map((f) => inside(root, f.path, 'file'));
  const folders = bundle.folders.map((f) => inside(root, f, 'folder'));
  const specPath = inside(root, bundle.spec, 'spec');
  // Under .hypotree, which no task hash reads: the copy hashes as the original does.
  const done = path.join(root, '.hypotree', 'unpacked');
  if (!existsSync(done)) {
    bundle.files.forEach((file, i) => {
      mkdirSync(path.dirname(targets[i]!), { recursive: true });
      writeFileSync(targets[i]!, Buffer.from(file.data, 'base64'));
      chmodSync(targets[i]!, file.mode);
    });
    for (const folder of folders) mkdirSync(folder, { recursive: true });
    mkdirSync(path.dirname(done), { recursive: true });
    writeFileSync(done, '');
  }
  return { specPath, baseCommit: bundle.baseCommit, name: bundle.name };
}

/** The commits a git bundle's header says it carries (its refs), or undefined when it has no bundle header. */
function bundleHeads(bytes: Uint8Array): string[] | undefined {
  const end = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf('\n\n');
  if (end < 0) return undefined;
  const [signature, ...lines] = new TextDecoder().decode(bytes.subarray(0, end)).split('\n');
  if (signature !== '# v2 git bundle' && signature !== '# v3 git bundle') return undefined;
  // v3 capability lines start with @, prerequisites with -; the rest are "<commit> <ref>".
  return lines.filter((line) => !line.startsWith('@') && !line.startsWith('-')).map((line) => line.split(' ')[0]!);
}

// A ref that names a commit for a bundle (git bundles carry refs, not bare commits).
const bundleRef = (commit: string) => `refs/hypotree-bundle/${commit}`;

/** A git bundle of `commit` from `repo.baseCommit` (the whole history when it is the base itself). */
export async function bundleCommit(repo: ArtifactRepo, commit: string): Promise<Uint8Array> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hypotree-bundle-'));
  try {
    const ref = bundleRef(commit);
    await git(repo.path, ['update-ref', ref, commit]);
    const file = path.join(dir, 'commit.bundle');
    await git(repo.path, ['bundle', 'create', '--quiet', file, commit === repo.baseCommit ? ref : `${repo.baseCommit}..${ref}`]);
    await git(repo.path, ['update-ref', '-d', ref]);
    return new Uint8Array(await readFile(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Fetches the commit a bundle carries into the repository at `gitDir`, keeping it under `keepAs`,
 * after checking the bundle (git's own verification: its prerequisites are here, its pack is whole)
 * and that it carries exactly `commit`. Anything else is an error naming what was wrong, and
 * nothing is kept.
 */
export async function importCommit(gitDir: string, bytes: Uint8Array, commit: string, keepAs: string): Promise<void> {
  const carried = bundleHeads(bytes);
  if (carried === undefined) throw new Error(`the bundle for ${commit} is not a git bundle (no v2 or v3 bundle header)`);
  if (carried.length !== 1 || carried[0] !== commit) throw new Error(`the bundle for ${commit} carries ${carried.join(', ') || 'nothing'}, not ${commit}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hypotree-bundle-'));
  try {
    const file = path.join(dir, 'commit.bundle');
    await writeFile(file, bytes);
    // Fetching from a bundle checks it as `git bundle verify` does: its prerequisites are here and its pack is whole.
    try {
      await git(gitDir, ['fetch', '--quiet', '--no-tags', file, `+${bundleRef(commit)}:${keepAs}`]);
    } catch (error) {
      throw new Error(`the bundle for ${commit} does not verify: ${error instanceof GitError ? error.message.split('\n').slice(0, 2).join(' ') : String(error)}`);
    }
    const fetched = await git(gitDir, ['rev-parse', '--verify', `${keepAs}^{commit}`]);
    if (fetched !== commit) {
      await git(gitDir, ['update-ref', '-d', keepAs]).catch(() => undefined);
      throw new Error(`the bundle for ${commit} gave ${fetched}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether the repository has `commit`. */
export async function hasCommit(gitDir: string, commit: string): Promise<boolean> {
  return git(gitDir, ['cat-file', '-e', `${commit}^{commit}`]).then(
    () => true,
    () => false,
  );
}

/** An executor's own bare repository for a task (made if missing), with the base commit from its bundle. */
export async function localArtifact(workdir: string, bundle: { name: string; baseCommit: string }, baseBundle: () => Promise<Uint8Array>): Promise<ArtifactRepo> {
  const taskWorkdir = path.resolve(workdir, `${bundle.name}-${bundle.baseCommit.slice(0, 12)}`);
  const gitDir = path.join(taskWorkdir, 'repo.git');
  mkdirSync(path.join(taskWorkdir, 'worktrees'), { recursive: true });
  if (!existsSync(path.join(gitDir, 'HEAD'))) {
    mkdirSync(gitDir, { recursive: true });
    await git(gitDir, ['init', '--quiet', '--bare', '--initial-branch=main']);
  }
  if (!(await hasCommit(gitDir, bundle.baseCommit))) await importCommit(gitDir, await baseBundle(), bundle.baseCommit, 'refs/heads/main');
  return { path: gitDir, baseCommit: bundle.baseCommit, workdir: taskWorkdir };
}
