import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTaskFixture, type TaskFixture } from '../../../test/support/task-fixture.js';
import { prepareArtifact, type ArtifactRepo } from './artifact.js';
import { collectWorktrees, removeOrphanedWorktrees } from './gc.js';
import { git } from './git.js';
import { addWorktree, removeWorktree } from './worktree.js';
import { ownerState, processStart, thisProcess } from './worktree-owner.js';

// Worktrees a run left behind when it died without removing them (kill -9, a crash) are removed;
// worktrees a live run is using never are.

let fx: TaskFixture;
let repo: ArtifactRepo;

beforeAll(async () => {
  fx = createTaskFixture();
  repo = await prepareArtifact(fx.task, fx.workdir);
});
afterAll(() => fx.cleanup());

/** A pid no process has any more: a child that exited and was reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

const ownedBy = (dir: string, owner: object) => writeFileSync(`${dir}.owner`, JSON.stringify(owner));
const registered = async () => (await git(repo.path, ['worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree ')).length;
const entries = () => readdirSync(path.join(repo.workdir, 'worktrees')).sort();

describe('orphaned worktrees', () => {
  afterEach(async () => {
    // Leave no worktree behind for the next case.
    for (const name of entries()) {
      if (!name.endsWith('.owner')) await removeWorktree(repo, { dir: path.join(repo.workdir, 'worktrees', name), gitLink: '' });
    }
  });

  it('records the process that made a worktree beside it, and removes the record with the worktree', async () => {
    const worktree = await addWorktree(repo, repo.baseCommit, 'owned');
    expect(JSON.parse(execFileSync('cat', [`${worktree.dir}.owner`], { encoding: 'utf8' }))).toEqual({ host: os.hostname(), pid: process.pid, since: processStart(process.pid) });
    await removeWorktree(repo, worktree);
    expect(entries()).toEqual([]);
  });

  it('removes the worktrees of a dead process (folder, owner record and git admin entry), and those without an owner record', async () => {
    const before = await registered();
    const dead = await addWorktree(repo, repo.baseCommit, 'dead');
    ownedBy(dead.dir, { host: os.hostname(), pid: deadPid() });
    const legacy = await addWorktree(repo, repo.baseCommit, 'legacy');
    execFileSync('rm', [`${legacy.dir}.owner`]);
    expect(await registered()).toBe(before + 2);

    const sweep = await removeOrphanedWorktrees(repo.workdir);
    expect(sweep.removed.sort()).toEqual([dead.dir, legacy.dir].sort());
    expect(sweep.kept).toEqual([]);
    expect(entries()).toEqual([]);
    expect(await registered()).toBe(before);
  });

  it('takes a pid now held by a process started at another time for a dead owner (the pid was reused)', () => {
    const me = thisProcess();
    expect(ownerState(me)).toBe('alive');
    if (me.since === undefined) return; // no /proc here: reuse cannot be told
    expect(ownerState({ ...me, pid: process.ppid, since: me.since + 1 })).toBe('dead');
    expect(ownerState({ host: os.hostname(), pid: process.ppid, since: processStart(process.ppid) })).toBe('alive');
  });

  it('null case: keeps the worktrees of a live process and of a process on another host, and removes nothing else', async () => {
    const mine = await addWorktree(repo, repo.baseCommit, 'live');
    const parents = await addWorktree(repo, repo.baseCommit, 'parent');
    ownedBy(parents.dir, { host: os.hostname(), pid: process.ppid, since: processStart(process.ppid) });
    const remote = await addWorktree(repo, repo.baseCommit, 'remote');
    ownedBy(remote.dir, { host: 'another-host.example', pid: 1 });

    const sweep = await removeOrphanedWorktrees(repo.workdir);
    expect(sweep.removed).toEqual([]);
    expect(sweep.kept.map((k) => k.dir).sort()).toEqual([mine.dir, parents.dir, remote.dir].sort());
    expect(sweep.kept.find((k) => k.dir === remote.dir)!.reason).toMatch(/on another-host\.example; only that host can tell/);
    for (const w of [mine, parents, remote]) expect(existsSync(path.join(w.dir, '.git'))).toBe(true);
  });

  it('drops an owner record whose worktree never came to be, and sweeps every task folder of a workdir', async () => {
    ownedBy(path.join(repo.workdir, 'worktrees', 'half-made'), { host: os.hostname(), pid: deadPid() });
    const dead = await addWorktree(repo, repo.baseCommit, 'dead');
    ownedBy(dead.dir, { host: os.hostname(), pid: deadPid() });
    mkdirSync(path.join(fx.workdir, 'not-a-task'), { recursive: true });
    const sweep = await collectWorktrees(fx.workdir);
    expect(sweep.removed).toEqual([dead.dir]);
    expect(entries()).toEqual([]);
    expect(await collectWorktrees(path.join(fx.workdir, 'missing'))).toEqual({ removed: [], kept: [] });
  });
});
