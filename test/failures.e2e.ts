import fs from 'node:fs';
import path from 'node:path';
import type { RecordedSearchEvent } from '@hypotree/events';
import { fold, searchStatus } from '@hypotree/tree';
import { execa } from 'execa';
import { hypotree, lastJsonLine, spawnHypotree } from './support/cli.js';
import { startScriptedOpenAI, type RecordedRequest, type ScriptedResponse } from './support/openai-server.js';
import { countOf, readSearchLog, type Summary } from './support/search-log.js';
import { createSyntheticTask, type SyntheticTask } from './support/synthetic-task.js';
import { createTaskFixture } from './support/task-fixture.js';

// No silent failures, and nothing left behind, through the built CLI as a user meets them: a broken
// gate command, Ctrl-C in the middle of a search, a run killed with -9, a model that answers nonsense
// once, an endpoint that is not there. Each with its null case.

type CliError = { exitCode: number; stdout: string; stderr: string };
const failure = (error: unknown) => error as CliError;

/** The worktree folders and owner records under a task's workdir. */
const worktreeEntries = (workdir: string, task: string) => {
  const dir = path.join(workdir, task, 'worktrees');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
};

/** Worktrees git still has registered in the task's artifact repository (the bare repository itself is the first). */
async function registeredWorktrees(workdir: string, task: string): Promise<number> {
  const { stdout } = await execa('git', ['--git-dir', path.join(workdir, task, 'repo.git'), 'worktree', 'list', '--porcelain']);
  return stdout.split('\n').filter((l) => l.startsWith('worktree ')).length - 1;
}

/** Processes whose command line mentions `text` (a sandboxed scorer or candidate names its worktree). */
function processesMentioning(text: string): number {
  let count = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const cmdline = (() => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (cmdline.includes(text) && Number(pid) !== process.pid) count += 1;
  }
  return count;
}

const readLog = async (workdir: string, searchId: string): Promise<RecordedSearchEvent[]> =>
  fs.existsSync(path.join(workdir, 'events.db')) ? readSearchLog(workdir, searchId) : [];

/** Polls the log until `ready` holds (or fails after 60 s). */
async function waitFor(workdir: string, searchId: string, ready: (events: RecordedSearchEvent[]) => boolean): Promise<RecordedSearchEvent[]> {
  for (let i = 0; i < 600; i++) {
    const events = await readLog(workdir, searchId).catch(() => []);
    if (ready(events)) return events;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`search ${searchId} never reached the awaited state`);
}

/** Some experiment is running: started, no result yet, and its worktree is on disk. */
const experimentRunning = (workdir: string) => (events: RecordedSearchEvent[]) =>
  !fold(events).completed && [...fold(events).nodes.values()].some((n) => n.experiments.some((e) => e.state === 'started')) && worktreeEntries(workdir, 'noise').some((e) => /^\d/.test(e) && !e.endsWith('.owner'));

/** No node of the log has two results, and none is left running. */
function oneResultPerNode(events: RecordedSearchEvent[]): void {
  const results = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'ExperimentSucceeded' || (e.type === 'ExperimentFailed' && e.data.kind !== 'lease-expired')) results.set(e.data.nodeId, (results.get(e.data.nodeId) ?? 0) + 1);
  }
  expect([...results.values()].filter((n) => n !== 1)).toEqual([]);
  expect([...fold(events).nodes.values()].filter((n) => n.status === 'running')).toEqual([]);
}

describe('no silent failures (end to end)', () => {
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));
  const slowTask = (): SyntheticTask => {
    // Dev evaluations that sleep up to 2 s each: experiments are running when the test strikes.
    const task = createSyntheticTask('noise', { jitterMs: 2000 });
    cleanups.push(task.cleanup);
    return task;
  };

  it('a broken gate command ends the search with SearchFailed: one line, exit 1, nothing proposed; resume and `searches` say it failed', async () => {
    const fx = createTaskFixture({
      evaluators: {
        dev: { command: 'node', args: ['{task}/scorer.mjs'], timeoutSec: 20 },
        gate: { command: 'node', args: ['{task}/no-such-scorer.mjs'], sealedData: 'sealed/gate' },
        test: { command: 'node', args: ['{task}/scorer.mjs'], sealedData: 'sealed/test' },
      },
    });
    cleanups.push(fx.cleanup);
    const args = ['run', fx.root, '--budget', '3', '--workdir', fx.workdir, '--search-id', 'broken-gate'];
    const run = failure(await hypotree(args).catch((e: unknown) => e));
    expect(run.exitCode).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hypotree: search broken-gate failed: the baseline's gate evaluation failed \(scorer-error\) on seed 1: the scorer exited with code 1 — it printed: Error: Cannot find module '.*no-such-scorer\.mjs'$/);
    expect(run.stdout).not.toContain('held-out gain'); // no normal-looking summary

    const events = await readSearchLog(fx.workdir, 'broken-gate');
    expect(events.map((e) => e.type)).toEqual(['SearchStarted', 'BaselineMeasured', 'GateFailed', 'SearchFailed']);
    expect(events[3]!.data).toMatchObject({ evaluator: 'gate', kind: 'scorer-error', nodeId: '0', outputTail: expect.stringContaining('no-such-scorer.mjs') });
    expect(searchStatus(fold(events))).toBe('failed');

    // Resume says it failed, with the reason, and records nothing; --json says so as data.
    const resumed = failure(await hypotree([...args, '--json']).catch((e: unknown) => e));
    expect(resumed.exitCode).toBe(1);
    expect(resumed.stderr.trim()).toBe(lines[0]);
    expect(lastJsonLine<{ status: string; failure: { evaluator: string; reason: string } }>(resumed.stdout)).toMatchObject({ status: 'failed', failure: { evaluator: 'gate' } });
    expect(await readSearchLog(fx.workdir, 'broken-gate')).toHaveLength(events.length);
    const searches = await hypotree(['searches', '--workdir', fx.workdir]);
    expect(searches.stdout.split('\n').find((l) => l.includes('broken-gate'))).toMatch(/\bfailed\b/);
    expect(worktreeEntries(fx.workdir, 'toy')).toEqual([]);
  }, 120_000);

  it('a broken dev command ends the search at its baseline the same way', async () => {
    const fx = createTaskFixture({
      evaluators: {
        dev: { command: 'node', args: ['-e', 'console.error("dev data missing: ENOENT /data/dev.csv"); process.exit(4)'], timeoutSec: 20 },
        gate: { command: 'node', args: ['{task}/scorer.mjs'], sealedData: 'sealed/gate' },
        test: { command: 'node', args: ['{task}/scorer.mjs'], sealedData: 'sealed/test' },
      },
    });
    cleanups.push(fx.cleanup);
    const run = failure(await hypotree(['run', fx.root, '--budget', '3', '--workdir', fx.workdir, '--search-id', 'broken-dev']).catch((e: unknown) => e));
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim()).toMatch(/^hypotree: search broken-dev failed: the baseline's dev evaluation failed \(scorer-error\) on seed 1: the scorer exited with code 4 — it printed: dev data missing: ENOENT \/data\/dev\.csv$/);
    expect((await readSearchLog(fx.workdir, 'broken-dev')).map((e) => e.type)).toEqual(['SearchStarted', 'SearchFailed']);
  }, 120_000);

  it('null case: a task whose evaluators work runs to its summary and exits 0', async () => {
    const fx = createTaskFixture();
    cleanups.push(fx.cleanup);
    const { stdout, stderr } = await hypotree(['run', fx.root, '--budget', '2', '--workdir', fx.workdir, '--search-id', 'fine', '--json']);
    expect(lastJsonLine<Summary>(stdout).experiments).toBe(2);
    expect(stderr).not.toMatch(/failed|warning/);
    expect(searchStatus(fold(await readSearchLog(fx.workdir, 'fine')))).toBe('done');
  }, 120_000);

  it('Ctrl-C (SIGINT) stops the run cleanly: the resume command, exit 130, no worktree or process left; the resume completes', async () => {
    const task = slowTask();
    const args = ['run', task.root, '--budget', '4', '--parallel', '2', '--workdir', task.workdir, '--search-id', 'ctrl-c'];
    const child = spawnHypotree(args);
    await waitFor(task.workdir, 'ctrl-c', experimentRunning(task.workdir));
    child.kill('SIGINT');
    const stopped = await child;
    expect(stopped.exitCode).toBe(130);
    const revision = /hypotree: search ctrl-c interrupted at revision (\d+); nothing after the interrupt was recorded/.exec(String(stopped.stderr));
    expect(revision).not.toBeNull();
    expect(String(stopped.stderr).trim().endsWith(`Resume it with:\n  hypotree run ${task.root} --search-id ctrl-c --workdir ${task.workdir}`)).toBe(true);

    // Nothing was recorded after the interrupt; experiments in flight stay in flight in the log (a resume re-runs them).
    const before = await readSearchLog(task.workdir, 'ctrl-c');
    expect(before.at(-1)!.revision).toBe(Number(revision![1]));
    expect(countOf(before, 'SearchFailed') + countOf(before, 'SearchCompleted')).toBe(0);
    expect(before.filter((e) => e.type === 'ExperimentFailed' && e.data.kind !== 'lease-expired')).toEqual([]);
    // Their sandboxes were killed and their worktrees removed.
    expect(worktreeEntries(task.workdir, 'noise')).toEqual([]);
    expect(await registeredWorktrees(task.workdir, 'noise')).toBe(0);
    expect(processesMentioning(task.workdir)).toBe(0);

    const { stdout } = await hypotree([...args, '--json']);
    expect(lastJsonLine<Summary>(stdout).experiments).toBe(4);
    const after = await readSearchLog(task.workdir, 'ctrl-c');
    expect(after.slice(0, before.length).map((e) => e.id)).toEqual(before.map((e) => e.id));
    oneResultPerNode(after);
    expect(countOf(after, 'FinalTestEvaluated')).toBe(1);
    expect(worktreeEntries(task.workdir, 'noise')).toEqual([]);
  }, 180_000);

  it('a run killed with -9 leaves worktrees that `hypotree gc` removes (and a second gc finds none)', async () => {
    const task = slowTask();
    const child = spawnHypotree(['run', task.root, '--budget', '4', '--parallel', '2', '--workdir', task.workdir, '--search-id', 'killed']);
    await waitFor(task.workdir, 'killed', experimentRunning(task.workdir));
    child.kill('SIGKILL');
    await child;
    const orphans = worktreeEntries(task.workdir, 'noise').filter((e) => !e.endsWith('.owner'));
    expect(orphans.length).toBeGreaterThan(0);
    expect(await registeredWorktrees(task.workdir, 'noise')).toBe(orphans.length);

    const { stdout } = await hypotree(['gc', '--workdir', task.workdir]);
    expect(stdout).toContain(`removed ${orphans.length} orphaned worktree(s) under ${task.workdir}`);
    expect(worktreeEntries(task.workdir, 'noise')).toEqual([]);
    expect(await registeredWorktrees(task.workdir, 'noise')).toBe(0);

    // The null case: nothing orphaned, nothing removed; a workdir that does not exist is an error, not "nothing to remove".
    expect(lastJsonLine<{ removed: string[]; kept: unknown[] }>((await hypotree(['gc', '--workdir', task.workdir, '--json'])).stdout)).toEqual({ removed: [], kept: [] });
    const missing = failure(await hypotree(['gc', '--workdir', path.join(task.root, 'typo')]).catch((e: unknown) => e));
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim()).toBe(`hypotree: no workdir at ${path.join(task.root, 'typo')} (--workdir)`);
  }, 180_000);

  it('a run killed with -9 leaves worktrees that its resume removes before it goes on', async () => {
    const task = slowTask();
    const args = ['run', task.root, '--budget', '4', '--parallel', '2', '--workdir', task.workdir, '--search-id', 'killed-resumed', '--json'];
    const child = spawnHypotree(args);
    await waitFor(task.workdir, 'killed-resumed', experimentRunning(task.workdir));
    child.kill('SIGKILL');
    await child;
    const orphans = worktreeEntries(task.workdir, 'noise').filter((e) => !e.endsWith('.owner'));
    expect(orphans.length).toBeGreaterThan(0);

    const { stdout } = await hypotree(args);
    expect(lastJsonLine<Summary>(stdout).experiments).toBe(4);
    expect(worktreeEntries(task.workdir, 'noise')).toEqual([]);
    expect(await registeredWorktrees(task.workdir, 'noise')).toBe(0);
    oneResultPerNode(await readSearchLog(task.workdir, 'killed-resumed'));
  }, 180_000);
});

describe('an LLM that answers nonsense, or is not there (end to end)', () => {
  /** A model for the toy task: hypotheses setting x, whole-file edits of config.json, a lesson per node; `bad` says which calls answer nonsense. */
  function scriptedModel(bad: { proposer: number[]; implementer: number[]; distiller: number[] }) {
    const calls = { proposer: 0, implementer: 0, distiller: 0 };
    let x = 5;
    const respond = (body: RecordedRequest['body']): ScriptedResponse => {
      const format = body.response_format as { json_schema: { name: string; schema: { properties: { hypotheses?: { maxItems?: number } } } } };
      if (format.json_schema.name === 'insights') {
        calls.distiller += 1;
        if (bad.distiller.includes(calls.distiller)) return { content: 'Lessons: none today.' };
        const asked = String(body.messages?.filter((m) => m.role === 'user').at(-1)?.content ?? body.messages?.[1]?.content);
        const ids = /Write one lesson for each of: (.+)\.$/m.exec(String(body.messages?.[1]?.content ?? asked))![1]!.split(', ');
        return { content: { insights: ids.map((nodeId) => ({ nodeId, kind: 'finding', text: `Under ${nodeId}, a larger x scored higher.` })) } };
      }
      if (format.json_schema.name === 'file_edits') {
        calls.implementer += 1;
        if (bad.implementer.includes(calls.implementer)) return { content: 'Sure! Here are the edits you asked for.' };
        const wanted = /"x":\s*([\d.]+)/.exec(String(body.messages?.find((m) => m.role === 'user')?.content))?.[1] ?? '5';
        return { content: { summary: `x = ${wanted}`, edits: [{ path: 'config.json', content: `${JSON.stringify({ x: Number(wanted), mode: 'ok', marker: '' }, null, 2)}\n` }] } };
      }
      calls.proposer += 1;
      if (bad.proposer.includes(calls.proposer)) return { content: '{"hypotheses": "I would rather not"}' };
      const count = format.json_schema.schema.properties.hypotheses?.maxItems ?? 1;
      const hypotheses = Array.from({ length: count }, () => {
        x = Math.round((x + 0.7) * 10) / 10;
        return { title: `raise x to ${x}`, mechanism: 'the score grows with x', prediction: 'dev accuracy rises', change: { kind: 'params', set: [{ name: 'x', value: x }], instructions: '' }, insightIds: [] };
      });
      return { content: { hypotheses } };
    };
    return { respond, calls };
  }

  it('one invalid proposer or distiller reply (after its retry) is a warning, one invalid implementer reply costs one experiment; the search goes on', async () => {
    const fx = createTaskFixture();
    const model = scriptedModel({ proposer: [1, 2], implementer: [1, 2, 3], distiller: [1, 2] });
    const server = await startScriptedOpenAI({ respond: model.respond });
    try {
      const env = { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'sk-scripted' };
      const args = ['run', fx.root, '--budget', '3', '--parallel', '1', '--proposer', 'llm', '--implementer', 'llm', '--distiller', 'llm', '--model', 'scripted-model', '--allow-unsandboxed', '--workdir', fx.workdir, '--search-id', 'llm-nonsense', '--json'];
      const { stdout, stderr } = await hypotree(args, env);
      const summary = lastJsonLine<Summary>(stdout);
      expect(summary.experiments).toBe(3);
      expect(summary.failed).toBe(1);
      expect(stderr).toMatch(/hypotree: warning: llm proposer: model scripted-model gave no valid reply after 2 attempts .* The search goes on \(1 such reply in a row; it stops at 3\)\./);
      expect(stderr).toMatch(/hypotree: warning: distiller failed after \d+: .*llm distiller: model scripted-model gave no valid reply after 2 attempts.*; the search goes on without new insights/);
      const events = await readSearchLog(fx.workdir, 'llm-nonsense');
      const failed = events.filter((e) => e.type === 'ExperimentFailed').map((e) => e.data as { kind: string; detail: string });
      expect(failed).toEqual([expect.objectContaining({ kind: 'implementation-failed', detail: expect.stringContaining('no working implementation after 3 attempt(s)') })]);
      expect(countOf(events, 'ExperimentSucceeded')).toBe(2);
      expect(model.calls.implementer).toBe(5); // three for the failed experiment, one for each other
      expect(countOf(events, 'InsightDistilled')).toBeGreaterThan(0); // later distillations worked
      // The one that failed is in the log, with its reason: an audit sees the missing lesson.
      const gaps = events.filter((e) => e.type === 'DistillationFailed').map((e) => e.data as { nodeId: string; reason: string });
      expect(gaps).toEqual([{ nodeId: expect.any(String), reason: expect.stringContaining('llm distiller: model scripted-model gave no valid reply after 2 attempts') }]);
    } finally {
      await server.close();
      fx.cleanup();
    }
  }, 120_000);

  it('an unreachable endpoint stops the run with an error naming the URL it tried; the search stays resumable', async () => {
    const fx = createTaskFixture();
    const gone = await startScriptedOpenAI();
    await gone.close();
    try {
      const args = ['run', fx.root, '--budget', '2', '--proposer', 'llm', '--model', 'scripted-model', '--workdir', fx.workdir, '--search-id', 'no-endpoint'];
      const run = failure(await hypotree(args, { OPENAI_BASE_URL: gone.baseURL }).catch((e: unknown) => e));
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain(`llm proposer: cannot reach the model endpoint ${gone.baseURL} (Connection error`);
      expect(searchStatus(fold(await readSearchLog(fx.workdir, 'no-endpoint')))).toBe('open');
      expect(worktreeEntries(fx.workdir, 'toy')).toEqual([]);
    } finally {
      fx.cleanup();
    }
  }, 120_000);
});
