import type { Hypothesis } from '@hypotree/task';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createTaskFixture, type TaskFixture } from '../../../test/support/task-fixture.js';
import { prepareArtifact, type ArtifactRepo } from './artifact.js';
import { runExperiment } from './experiment.js';
import { ParamsImplementer } from './implementers/params.js';
import { AgentImplementer } from './implementers/agent.js';
import type { Implementer } from './implementer.js';
import { git } from './git.js';
import { ExperimentEvidenceSchema } from '@hypotree/messaging';

let fx: TaskFixture;
let repo: ArtifactRepo;

const params = (set: Record<string, number | string | boolean>): Hypothesis => ({
  title: `set ${Object.keys(set).join(', ')}`,
  mechanism: 'test',
  prediction: 'test',
  change: { kind: 'params', set },
});

/** An implementer that does whatever the test tells it to the worktree. */
const doing = (edit: (worktree: string) => void): Implementer => ({
  name: 'scripted',
  implement: async ({ worktree }) => {
    edit(worktree);
    return { summary: 'scripted edit', attempts: 1 };
  },
});

const freeform: Hypothesis = { title: 'freeform', mechanism: 'm', prediction: 'p', change: { kind: 'freeform', instructions: 'do it' } };

function run(hypothesis: Hypothesis, implementer: Implementer, extra: { seeds?: number[] } = {}) {
  const nodeId = `n-${randomUUID().slice(0, 6)}`;
  return runExperiment({ task: fx.task, repo, experimentId: `e-${nodeId}`, nodeId, searchId: 's1', baseCommit: repo.baseCommit, hypothesis, implementer, ...extra });
}

async function worktreesLeft(): Promise<number> {
  return (await git(repo.path, ['worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree ')).length;
}

beforeAll(async () => {
  fx = createTaskFixture();
  repo = await prepareArtifact(fx.task, fx.workdir);
});
afterAll(() => fx.cleanup());

describe('runExperiment', () => {
  it('implements a params change, commits it on the node ref, scores every seed and removes the worktree', async () => {
    const before = await worktreesLeft();
    const evidence = await run(params({ x: 7 }), new ParamsImplementer(), { seeds: [3, 4] });
    expect(ExperimentEvidenceSchema.parse(evidence)).toEqual(evidence);
    expect(evidence.status).toBe('succeeded');
    expect(evidence.runs.map((r) => [r.seed, r.value])).toEqual([[3, 0.703], [4, 0.704]]);
    expect(evidence.devScore).toBeCloseTo(0.7035, 10);
    expect(evidence.diff).toEqual({ files: [{ path: 'config.json', insertions: 1, deletions: 1 }], insertions: 1, deletions: 1 });
    expect(evidence.implementation.summary).toBe('set x: 5 → 7 in config.json');
    expect(await git(repo.path, ['rev-parse', evidence.ref!])).toBe(evidence.commit);
    expect(JSON.parse(await git(repo.path, ['show', `${evidence.commit}:config.json`])).x).toBe(7);
    expect(await git(repo.path, ['rev-parse', `${evidence.commit}^`])).toBe(repo.baseCommit);
    expect(evidence.report).toContain('dev accuracy 0.7035');
    expect(evidence.integrity).toEqual({ sandbox: 'allowlist', specHash: fx.task.hash, evaluatorHash: fx.task.evaluatorHash, changedPaths: ['config.json'] });
    expect(await worktreesLeft()).toBe(before);
  });

  it('fails as implementation-failed when a value is outside the declared space', async () => {
    const evidence = await run(params({ x: 11, depth: 3 }), new ParamsImplementer());
    expect(evidence.status).toBe('failed');
    expect(evidence.failure?.kind).toBe('implementation-failed');
    expect(evidence.failure?.detail).toContain('x must be within [0, 10], got 11');
    expect(evidence.failure?.detail).toContain('depth is not a declared parameter');
    expect(evidence.commit).toBeUndefined();
  });

  it("fails as crash with the candidate's stderr tail when the candidate exits non-zero", async () => {
    const evidence = await run(params({ mode: 'crash' }), new ParamsImplementer());
    expect(evidence.failure).toEqual({ kind: 'crash', detail: 'dev evaluation (seed 1): candidate run 1 (node candidate.mjs) failed (crash): exited with code 3' });
    expect(evidence.stderrTail).toContain('boom: deliberate crash');
    expect(evidence.ref).toBeDefined();
  });

  it('fails as malformed-output when the candidate answers something that is not an answer', async () => {
    const evidence = await run(params({ mode: 'silent' }), new ParamsImplementer());
    expect(evidence.failure?.kind).toBe('malformed-output');
    expect(evidence.failure?.detail).toContain('output is not JSON');
    expect(evidence.failure?.detail).toContain('accuracy is great');
    expect(evidence.runs).toEqual([]);
  });

  it('fails as timeout and kills the whole sandbox, detached children included', async () => {
    const marker = `hypotree-marker-${randomUUID()}`;
    const hang = doing((wt) => writeFileSync(path.join(wt, 'config.json'), JSON.stringify({ x: 1, mode: 'hang', marker })));
    const started = Date.now();
    const task = fx.task;
    fx.task = { ...task, spec: { ...task.spec, evaluators: { ...task.spec.evaluators, dev: { ...task.spec.evaluators.dev, timeoutSec: 0.5 } } } };
    try {
      const evidence = await run(freeform, hang);
      expect(evidence.failure?.kind).toBe('timeout');
      expect(evidence.failure?.detail).toContain('exceeded its wall-clock limit');
      expect(Date.now() - started).toBeLessThan(10_000);
      await new Promise((resolve) => setTimeout(resolve, 1800));
      expect(existsSync(path.join('/tmp', marker))).toBe(false);
    } finally {
      fx.task = task;
      rmSync(path.join('/tmp', marker), { force: true });
    }
  });

  it.each([
    ['a file outside allowedPaths', (wt: string) => writeFileSync(path.join(wt, 'README.md'), 'changed\n'), { path: 'README.md', reason: 'outside-allowed-paths' }],
    ['a new file outside allowedPaths', (wt: string) => writeFileSync(path.join(wt, 'evaluate.mjs'), 'cheat\n'), { path: 'evaluate.mjs', reason: 'outside-allowed-paths' }],
    ['a symlink inside allowedPaths', (wt: string) => symlinkSync('/etc/passwd', path.join(wt, 'src/data.txt')), { path: 'src/data.txt', reason: 'symlink' }],
    ['a symlinked folder leading outside', (wt: string) => symlinkSync('..', path.join(wt, 'src/up')), { path: 'src/up', reason: 'symlink' }],
    ['the .git link file', (wt: string) => writeFileSync(path.join(wt, '.git'), 'gitdir: /tmp/elsewhere\n'), { path: '.git', reason: 'git-internals' }],
    [
      'a nested repository',
      (wt: string) => {
        mkdirSync(path.join(wt, 'src/inner/.git'), { recursive: true });
        writeFileSync(path.join(wt, 'src/inner/.git/HEAD'), 'ref: refs/heads/main\n');
      },
      { path: 'src/inner/.git', reason: 'git-internals' },
    ],
  ])('refuses %s, keeping the attempt on its ref', async (_name, edit, refusal) => {
    const evidence = await run(freeform, doing(edit));
    expect(evidence.status).toBe('failed');
    expect(ExperimentEvidenceSchema.parse(evidence).failure?.kind).toBe('refused');
    expect(evidence.refusals).toContainEqual(refusal);
    expect(evidence.runs).toEqual([]);
    expect(await git(repo.path, ['rev-parse', evidence.ref!])).toBe(evidence.commit);
  });

  it('refuses an edit that goes through ..', async () => {
    const { writeWorktreeFile } = await import('./implementer.js');
    const evidence = await run(freeform, { name: 'escaping', implement: async ({ worktree }) => {
      await writeWorktreeFile(worktree, 'src/../../escape.txt', 'x');
      return { summary: 'unreachable', attempts: 1 };
    } });
    expect(evidence.failure?.kind).toBe('implementation-failed');
    expect(evidence.failure?.detail).toContain("refusing to write 'src/../../escape.txt'");
  });

  it.each([
    ['the sealed folder itself', () => fx.task.sealed.gate],
    ['a folder holding the sealed data', () => fx.root],
    ['a file inside the sealed data', () => path.join(fx.task.sealed.test, 'bonus.txt')],
  ])("refuses to bind %s into an agent's sandbox", async (_name, bind) => {
    const agent = new AgentImplementer({ command: '/bin/true', binds: [bind()] });
    const evidence = await run(freeform, agent);
    expect(evidence.failure?.kind).toBe('implementation-failed');
    expect(evidence.failure?.detail).toContain('it holds or is inside sealed data');
  });

  it('accepts changes inside allowedPaths and records them in the diffstat', async () => {
    const evidence = await run(freeform, doing((wt) => writeFileSync(path.join(wt, 'src/model.mjs'), 'export const model = 2;\nexport const extra = 3;\n')));
    expect(evidence.status).toBe('succeeded');
    expect(evidence.diff?.files).toEqual([{ path: 'src/model.mjs', insertions: 2, deletions: 1 }]);
    expect(readFileSync(path.join(fx.root, 'artifact/src/model.mjs'), 'utf8')).toBe('export const model = 1;\n');
  });
});
