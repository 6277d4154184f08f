import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadTask } from '@hypotree/task';
import { createTaskFixture, type TaskFixture } from '../../../test/support/task-fixture.js';
import { prepareArtifact, type ArtifactRepo } from './artifact.js';
import { runExperiment } from './experiment.js';
import { git } from './git.js';
import { ParamsImplementer } from './implementers/params.js';
import { bundleCommit, hasCommit, importCommit, localArtifact, packTask, unpackTask } from './transfer.js';

// A task and its commits moved to a folder that shares nothing with the coordinator's: what must
// arrive does (the evaluators, the dev data, the exact commits), what must not does not (sealed
// data), and a bundle that was tampered with, or carries another commit, is refused.

let fx: TaskFixture;
let repo: ArtifactRepo;
let elsewhere: string;

beforeAll(async () => {
  fx = createTaskFixture({ parameters: { file: 'config.json', space: [{ name: 'x', type: 'float', min: 0, max: 10, default: 5 }] } });
  repo = await prepareArtifact(fx.task, fx.workdir);
});

beforeEach(() => {
  elsewhere = mkdtempSync(path.join(os.tmpdir(), 'hypotree-executor-'));
});

afterEach(() => rmSync(elsewhere, { recursive: true, force: true }));
afterAll(() => fx.cleanup());

async function aNodeCommit(): Promise<string> {
  const nodeId = `n${randomUUID().slice(0, 4)}`;
  const evidence = await runExperiment({
    task: fx.task, repo, experimentId: `${nodeId}#1`, nodeId, searchId: 's', baseCommit: repo.baseCommit, implementer: new ParamsImplementer(),
    hypothesis: { title: 'x=7', mechanism: 'm', prediction: 'p', change: { kind: 'params', set: { x: 7 } } },
  });
  return evidence.commit!;
}

describe('a task sent as a bundle', () => {
  it('arrives whole but for its sealed data, loads with the same evaluator hash, and names the base commit', () => {
    const unpacked = unpackTask(packTask(fx.task, repo.baseCommit), path.join(elsewhere, 'task'));
    const copy = loadTask(unpacked.specPath);
    expect(unpacked.baseCommit).toBe(repo.baseCommit);
    expect(copy.spec).toEqual(fx.task.spec);
    expect(copy.evaluatorHash).toBe(fx.task.evaluatorHash);
    expect(copy.hash).toBe(fx.task.hash);
    // The sealed folders exist (the spec names them) and are empty: gate and test never run here.
    for (const which of ['gate', 'test'] as const) {
      expect(existsSync(copy.sealed[which])).toBe(true);
      expect(readdirSync(copy.sealed[which])).toEqual([]);
    }
    const sent = JSON.parse(new TextDecoder().decode(packTask(fx.task, repo.baseCommit))) as { files: { path: string }[] };
    const sealed = [fx.task.sealed.gate, fx.task.sealed.test].map((p) => path.relative(fx.task.dir, p));
    expect(readdirSync(fx.task.sealed.gate).length).toBeGreaterThan(0);
    expect(sent.files.filter((f) => sealed.some((s) => f.path.startsWith(`${s}/`)))).toEqual([]);
    expect(sent.files.map((f) => f.path)).toContain('hypotree.task.json');
  });

  it("leaves out the coordinator's workdir when it lies inside the task folder", () => {
    const work = path.join(fx.task.dir, 'coordinator-work');
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, 'events.db'), 'the log');
    try {
      const paths = (bytes: Uint8Array) => (JSON.parse(new TextDecoder().decode(bytes)) as { files: { path: string }[] }).files.map((f) => f.path);
      expect(paths(packTask(fx.task, repo.baseCommit))).toContain('coordinator-work/events.db');
      expect(paths(packTask(fx.task, repo.baseCommit, [work])).filter((p) => p.startsWith('coordinator-work'))).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('refuses a bundle that is not one, or whose paths leave the folder, and writes nothing', () => {
    const dir = path.join(elsewhere, 'task');
    expect(() => unpackTask(new TextEncoder().encode('{"files": 3}'), dir)).toThrow(/^task bundle: not a task bundle/);
    const evil = { version: 1, name: 't', spec: 'hypotree.task.json', baseCommit: repo.baseCommit, folders: [], files: [{ path: '../escaped.txt', mode: 0o644, data: 'eA==' }] };
    expect(() => unpackTask(new TextEncoder().encode(JSON.stringify(evil)), dir)).toThrow('task bundle: file "../escaped.txt" is not a path inside the task folder');
    expect(existsSync(path.join(elsewhere, 'escaped.txt'))).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('commits sent as git bundles', () => {
  it('a node commit travels alone (from the base commit) into an executor repository that has only the base', async () => {
    const commit = await aNodeCommit();
    const local = await localArtifact(elsewhere, { name: fx.task.spec.name, baseCommit: repo.baseCommit }, () => bundleCommit(repo, repo.baseCommit));
    expect(await hasCommit(local.path, repo.baseCommit)).toBe(true);
    expect(await hasCommit(local.path, commit)).toBe(false);
    await importCommit(local.path, await bundleCommit(repo, commit), commit, 'refs/hypotree/s/n');
    expect(await git(local.path, ['rev-parse', 'refs/hypotree/s/n'])).toBe(commit);
    expect(await git(local.path, ['diff', '--stat', repo.baseCommit, commit])).toContain('config.json');
  });

  it('refuses a bundle that carries another commit, is corrupted, or lacks its base, and keeps nothing', async () => {
    const commit = await aNodeCommit();
    const other = await aNodeCommit();
    const local = await localArtifact(elsewhere, { name: fx.task.spec.name, baseCommit: repo.baseCommit }, () => bundleCommit(repo, repo.baseCommit));
    const bundle = await bundleCommit(repo, commit);
    await expect(importCommit(local.path, await bundleCommit(repo, other), commit, 'refs/hypotree/s/n')).rejects.toThrow(`the bundle for ${commit} carries ${other}, not ${commit}`);
    const tampered = Uint8Array.from(bundle);
    tampered[tampered.length - 30] ^= 0xff;
    await expect(importCommit(local.path, tampered, commit, 'refs/hypotree/s/n')).rejects.toThrow(new RegExp(`^the bundle for ${commit} does not verify`));
    await expect(importCommit(local.path, new TextEncoder().encode('not a bundle'), commit, 'refs/hypotree/s/n')).rejects.toThrow(new RegExp(`^the bundle for ${commit} is not a git bundle`));
    // A repository without the base commit cannot take a bundle made from it.
    const empty = path.join(elsewhere, 'empty.git');
    await git(elsewhere, ['init', '--quiet', '--bare', empty]);
    await expect(importCommit(empty, bundle, commit, 'refs/hypotree/s/n')).rejects.toThrow(/does not verify/);
    expect(await hasCommit(local.path, commit)).toBe(false);
    expect(await git(local.path, ['for-each-ref', 'refs/hypotree'])).toBe('');
  });
});
