import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { runDistributed, type SearchSummary } from '@hypotree/coordinator';
import type { RecordedSearchEvent } from '@hypotree/events';
import { git } from '@hypotree/workspace';
import { startSecuredNats, type Role, type SecuredNats } from './support/nats-secured.js';
import { CapturingLogger, startServices } from './support/nats-services.js';
import { readSearchLog } from './support/search-log.js';
import { createTaskFixture, type TaskFixture } from './support/task-fixture.js';
import { spawnUnprivileged, UNPRIVILEGED_UID } from './support/unprivileged.js';
import { waitFor } from './support/wait.js';

// Executors on "other machines" (issue #17): two executor processes as another user (uid 65534),
// each with its own workdir at its own path, and no access to the coordinator's folders (the task
// and the coordinator's workdir are under a 0700 folder of root's). Everything they need comes
// through JetStream's object store: the task without its sealed data, the base commit and parent
// commits as git bundles; their result commits come back the same way and are in the coordinator's
// repository, under the node's ref, before the result is recorded.

let nats: SecuredNats;
let toy: TaskFixture;
let outside: string;
let executors: { name: string; workdir: string; stop(): Promise<void>; output: string[] }[] = [];

const ofType = <T extends RecordedSearchEvent['type']>(events: RecordedSearchEvent[], type: T) =>
  events.filter((e): e is Extract<RecordedSearchEvent, { type: T }> => e.type === type);

/**
 * A folder with a `git` that stops at `git bundle create` (the executor packing its commit for the
 * coordinator): it touches `marker` and sleeps until it is killed; every other git command runs.
 * Put first on an executor's PATH, it holds that executor at a known point, so a test can kill it
 * there rather than race it.
 */
function gitHeldAtBundle(dir: string, marker: string): string {
  mkdirSync(dir, { mode: 0o755, recursive: true });
  chownSync(dir, UNPRIVILEGED_UID, UNPRIVILEGED_UID);
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const shim = path.join(dir, 'git');
  writeFileSync(shim, `#!/bin/sh\ncase " $* " in *" bundle create "*) touch '${marker}'; exec sleep 3600;; esac\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
  return dir;
}

/** An executor process as uid 65534, with its key, the trust list and its workdir in a folder of its own. */
async function startExecutor(role: Extract<Role, 'exA' | 'exB'>, options: { pathFirst?: string } = {}): Promise<void> {
  const home = path.join(outside, role);
  mkdirSync(home, { mode: 0o700, recursive: true });
  copyFileSync(nats.seedFile(role), path.join(home, 'seed.nk'));
  copyFileSync(nats.trustFile, path.join(home, 'trust.json'));
  for (const file of ['', 'seed.nk', 'trust.json']) chownSync(path.join(home, file), UNPRIVILEGED_UID, UNPRIVILEGED_UID);
  const workdir = path.join(home, 'work');
  const service = spawnUnprivileged(['node', 'apps/hypotree/bin/hypotree.js', 'executor', '--nats', nats.url, '--id', role, '--capacity', '1', '--workdir', workdir], {
    env: {
      HYPOTREE_NKEY_FILE: path.join(home, 'seed.nk'),
      HYPOTREE_TRUST_FILE: path.join(home, 'trust.json'),
      ...(options.pathFirst ? { PATH: `${options.pathFirst}:${process.env.PATH ?? '/usr/bin:/bin'}` } : {}),
    },
  });
  const output: string[] = [];
  service.process.all!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  executors.push({ name: role, workdir, stop: service.stop, output });
  await waitFor(`executor ${role} to be ready`, () => (output.join('').includes('takes experiments') ? true : undefined));
}

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test runs executors as another user: it needs root (CI runs as root)');
  nats = await startSecuredNats();
  toy = createTaskFixture({ parameters: { file: 'config.json', space: [{ name: 'x', type: 'float', min: 0, max: 10, default: 5 }] } });
  outside = mkdtempSync(path.join(os.tmpdir(), 'hypotree-elsewhere-'));
  chmodSync(outside, 0o755);
});

afterAll(async () => {
  for (const executor of executors) await executor.stop().catch(() => undefined);
  await nats?.stop();
  toy?.cleanup();
  rmSync(outside, { recursive: true, force: true });
}, 60_000);

describe('executors with no shared filesystem (task and commits as bundles through the object store)', () => {
  it('runs a search on two executor processes of another user with their own workdirs; every commit arrives in the coordinator repository as the executor reported it', async () => {
    // The coordinator's folders: the task and its workdir, under root's 0700 fixture folder.
    expect(statSync(toy.root).mode & 0o077).toBe(0);
    expect(statSync(toy.root).uid).toBe(0);
    await startExecutor('exA');
    await startExecutor('exB');
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const workdir = path.join(toy.root, 'coordinator-work');
    const distiller = await startServices(nats.url, workdir, logger, [], { security: nats.security('distiller') });
    const searchId = 'bundles';
    try {
      const summary: SearchSummary = await runDistributed({
        nats: nats.url,
        security: nats.security('coordinator'),
        transfer: 'bundles',
        logger,
        config: { task: toy.task.specPath, workdir, searchId, budget: { experiments: 4, parallel: 2 } },
      });
      const events = await readSearchLog(workdir, searchId);
      expect(summary.experiments).toBe(4);
      const started = ofType(events, 'ExperimentStarted');
      expect(new Set(started.map((e) => e.data.executorId))).toEqual(new Set(['exA', 'exB']));
      const outcomes = [...ofType(events, 'ExperimentSucceeded'), ...ofType(events, 'ExperimentFailed')];
      expect(outcomes.map((e) => e.data.experimentId).sort()).toEqual(ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId).sort());
      const succeeded = ofType(events, 'ExperimentSucceeded');
      expect(succeeded.length).toBeGreaterThan(0);
      // A child of a node was run too: its base was a commit the executors only had as a bundle.
      const bases = new Map(ofType(events, 'ExperimentDispatched').map((e) => [e.data.experimentId, e.data.baseCommit]));
      const repoDir = path.join(workdir, toy.task.spec.name, 'repo.git');
      for (const e of succeeded) {
        const { commit, ref, report, nodeId } = e.data;
        // In the coordinator's repository, under the node's ref, with the diff the executor reported.
        expect(await git(repoDir, ['rev-parse', ref])).toBe(commit);
        expect(ref).toBe(`refs/hypotree/${searchId}/${nodeId}`);
        const numstat = (await git(repoDir, ['diff', '--numstat', bases.get(e.data.experimentId)!, commit])).split('\n').filter(Boolean).map((l) => l.split('\t'));
        expect(numstat.map((l) => l[2]).sort()).toEqual([...report.filesChanged].sort());
        expect(numstat.reduce((n, l) => n + Number(l[0]), 0)).toBe(report.insertions);
        expect(numstat.reduce((n, l) => n + Number(l[1]), 0)).toBe(report.deletions);
      }
      // The executors worked in their own folders, and no sealed data reached them: their copies of
      // the task have the sealed folders the spec names, empty.
      const sealedFiles = [...filesUnder(toy.task.sealed.gate), ...filesUnder(toy.task.sealed.test)].map((f) => path.relative(toy.task.dir, f));
      expect(sealedFiles.length).toBeGreaterThan(0);
      for (const executor of executors) {
        const copies = filesUnder(executor.workdir).filter((f) => f.endsWith(`${path.sep}hypotree.task.json`)).map((f) => path.dirname(f));
        expect(copies).toHaveLength(1);
        for (const sealed of [toy.task.sealed.gate, toy.task.sealed.test]) expect(readdirSync(path.join(copies[0]!, path.relative(toy.task.dir, sealed)))).toEqual([]);
        for (const file of sealedFiles) expect(existsSync(path.join(copies[0]!, file))).toBe(false);
        // Nor the coordinator's workdir, which lies inside the task folder here (its log, its repository).
        expect(existsSync(path.join(copies[0]!, 'coordinator-work'))).toBe(false);
      }
      expect(logger.matching(/rejected hypotree\.experiment\.result/)).toEqual([]);
    } finally {
      await distiller.stop();
    }
  }, 120_000);

  it('an executor killed as it packs its commit for the coordinator loses nothing: the queue hands the experiment to another executor, whose result is recorded once', async () => {
    for (const executor of executors) await executor.stop();
    executors = [];
    // exA's git stops at the commit's bundle: killed there, its experiment ran and committed, and
    // nothing of it reached the coordinator. (Killing it when its first upload chunk appeared raced
    // the rest of a one-chunk upload and its report, and on an idle machine the report won.)
    const held = path.join(outside, 'exA-held');
    const marker = path.join(held, 'bundling');
    await startExecutor('exA', { pathFirst: gitHeldAtBundle(held, marker) });
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const workdir = path.join(toy.root, 'coordinator-work-2');
    const distiller = await startServices(nats.url, workdir, logger, [], { security: nats.security('distiller') });
    const searchId = 'bundles-killed';
    try {
      const run: Promise<SearchSummary> = runDistributed({
        nats: nats.url,
        security: nats.security('coordinator'),
        logger,
        // A lease of 20 s: the queue's ack wait (5 s) ends first, so the dispatch moves to exB (which starts meanwhile) before the lease would.
        config: { task: toy.task.specPath, workdir, searchId, leaseMs: 20_000, budget: { experiments: 2, parallel: 1 } },
      });
      run.catch(() => undefined);
      await waitFor('exA to pack its first commit', () => (existsSync(marker) ? true : undefined), 30_000);
      await executors.find((e) => e.name === 'exA')!.stop();
      expect(ofType(await readSearchLog(workdir, searchId), 'ExperimentSucceeded')).toEqual([]);
      // Another executor (its own folder, its own copy of everything) takes the dispatch the queue gives back.
      await startExecutor('exB');
      const summary = await run;
      const events = await readSearchLog(workdir, searchId);
      expect(summary.experiments).toBe(2);
      const dispatched = ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId);
      const outcomes = [...ofType(events, 'ExperimentSucceeded'), ...ofType(events, 'ExperimentFailed')];
      expect(outcomes.map((e) => e.data.experimentId).sort()).toEqual([...dispatched].sort());
      expect(new Set(outcomes.map((e) => e.data.experimentId)).size).toBe(outcomes.length);
      // The first experiment: started by exA, finished by exB, one attempt.
      const first = outcomes.find((e) => e.data.experimentId === '1#1')!;
      expect(ofType(events, 'ExperimentStarted').find((e) => e.data.experimentId === '1#1')?.data.executorId).toBe('exA');
      expect(first.data.executorId).toBe('exB');
      const repoDir = path.join(workdir, toy.task.spec.name, 'repo.git');
      for (const e of ofType(events, 'ExperimentSucceeded')) expect(await git(repoDir, ['rev-parse', e.data.ref])).toBe(e.data.commit);
      expect(logger.matching(/rejected hypotree\.experiment\.result/)).toEqual([]);
    } finally {
      await distiller.stop();
    }
  }, 120_000);
});
