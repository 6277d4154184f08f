// Counterfactual replay of whole searches through the real CLI: under the recorded policies a replay
// reproduces every decision with no new experiment, gate call, test score or model call; under
// another policy it reuses what the family paid for, stops where the memo ends (spending nothing),
// and with --execute runs only what is missing. Reuse never crosses into another family.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { SearchLog, SqliteEventStore } from '@hypotree/event-store';
import type { RecordedSearchEvent } from '@hypotree/events';
import type { FamilySpend, SearchComparison } from '@hypotree/search';
import { HYPOTREE_BIN, hypotree } from './support/cli.js';
import { startScriptedOpenAI } from './support/openai-server.js';
import { spiralsModel } from './support/spirals-model.js';
import { createSyntheticTask, type SyntheticTask } from './support/synthetic-task.js';

/** What `hypotree replay --json` prints (see ReplayReport). */
interface Replay {
  replayId: string;
  finished: boolean;
  stopped?: { need: string; detail: string; atMost: { experiments: number; gateEvaluations: number } };
  resume?: string;
  comparison: SearchComparison;
  family: FamilySpend;
}

const attempt = (args: string[], env: Record<string, string> = {}) => execa('node', [HYPOTREE_BIN, ...args], { reject: false, all: true, env: { ...process.env, ...env } });

async function events(workdir: string, searchId: string): Promise<RecordedSearchEvent[]> {
  const store = SqliteEventStore.open({ path: path.join(workdir, 'events.db') });
  try {
    return await new SearchLog(store, { service: 'test', instance: 't' }).ownEvents(searchId);
  } finally {
    await store.close();
  }
}

describe('hypotree replay of whole searches (offline proposer, synthetic task)', () => {
  const SEEDS = [1, 2, 3];
  let task: SyntheticTask;
  let w: string[];
  const replay = async (args: string[]) => JSON.parse((await hypotree(['replay', ...args, '--json', ...w])).stdout) as Replay;

  beforeAll(async () => {
    task = createSyntheticTask('overfit');
    w = ['--workdir', task.workdir];
    // Three independent recorded searches (three families), two executors each.
    for (const seed of SEEDS) await hypotree(['run', task.root, '--budget', '14', '--parallel', '2', '--seed', String(seed), '--search-id', `s${seed}`, ...w]);
  }, 600_000);

  afterAll(() => task?.cleanup());

  it.each(SEEDS)('reproduces search s%i decision for decision under its recorded policies, with nothing new run', async (seed) => {
    const r = await replay([`s${seed}`, '--as', `same${seed}`]);
    expect(r.finished).toBe(true);
    expect(r.comparison.identical).toBe(true);
    expect(r.comparison).toMatchObject({ changed: [], onlyInA: [], onlyInB: [] });
    expect(r.comparison.b.bestNodeId).toBe(r.comparison.a.bestNodeId);
    expect(r.comparison.b.heldOut!.gain).toBe(r.comparison.a.heldOut!.gain);
    const { a, b } = r.comparison;
    // It counts what the search would have cost alone, and all of it was reused.
    expect(b.cost).toMatchObject({ experiments: a.cost.experiments, experimentsReused: a.cost.experiments, gateEvaluations: a.cost.gateEvaluations, gateEvaluationsReused: a.cost.gateEvaluations, testScores: a.cost.testScores, testScoresReused: a.cost.testScores });
    // The family paid for nothing more: the original's experiments, gate calls and test scores only.
    expect(r.family).toMatchObject({ searches: 2, experiments: a.cost.experiments, gateEvaluations: a.cost.gateEvaluations, testScores: a.cost.testScores });
    // Every reused experiment names the event that paid for it, in the original search, with the same outcome.
    const original = new Map((await events(task.workdir, `s${seed}`)).map((e) => [e.id, e]));
    const reused = (await events(task.workdir, `same${seed}`)).filter((e) => e.type === 'ExperimentReused');
    expect(reused.length).toBe(a.cost.experiments);
    for (const e of reused) {
      if (e.type !== 'ExperimentReused') continue;
      const source = original.get(e.data.source.eventId);
      expect(source?.type).toBe(e.data.outcome.type);
      expect({ ...(source!.data as object), experimentId: e.data.experimentId, nodeId: e.data.nodeId }).toEqual(e.data.outcome.data);
    }
  }, 120_000);

  it('replays under a more permissive and a stricter policy: stops where the memo ends having spent nothing, then --execute runs only what is missing', async () => {
    const before = (await replay(['s1', '--as', 'probe'])).family;
    for (const [id, policy] of [
      ['dev-only', 'admission.mode=dev-only'],
      ['strict', 'admission.alpha=0.001'],
    ] as const) {
      const dry = await replay(['s1', '--policy', policy, '--as', id]);
      expect(dry.family).toMatchObject({ experiments: before.experiments, gateEvaluations: before.gateEvaluations, testScores: before.testScores });
      // Admitting on dev alone expands nodes the recorded search never expanded: the memo must end.
      if (id === 'dev-only') expect(dry.finished).toBe(false);
      if (!dry.finished) {
        expect(dry.stopped).toMatchObject({ need: expect.stringMatching(/experiment|evaluation/), detail: expect.any(String) });
        expect(dry.stopped!.atMost.experiments).toBeGreaterThan(0);
        expect(dry.resume).toBe(`hypotree replay s1 --as ${id} --execute`);
      }
      const done = await replay(['s1', '--policy', policy, '--as', id, '--execute']);
      expect(done.finished).toBe(true);
      const { b } = done.comparison;
      expect(b.status).toBe('done');
      // What the family paid for grew by exactly what this replay ran for real.
      const ranNow = b.cost.experiments - b.cost.experimentsReused;
      expect(done.family.experiments - before.experiments).toBe(ranNow);
      expect(done.family.gateEvaluations - before.gateEvaluations).toBe(b.cost.gateEvaluations - b.cost.gateEvaluationsReused);
      expect(done.family.testScores - before.testScores).toBe(b.cost.testScores - b.cost.testScoresReused);
      Object.assign(before, done.family);
    }
    // Admission on dev alone decides by other rules: the replay cannot be the same search.
    const permissive = await replay(['s1', '--as', 'dev-only']);
    expect(permissive.comparison.identical).toBe(false);
    expect(permissive.comparison.changed.length).toBeGreaterThan(0);
  }, 300_000);

  it('never reuses evidence from another family, even of the same task and configuration', async () => {
    const family = new Set(['s1', 'same1', 'probe', 'dev-only', 'strict']);
    for (const id of ['dev-only', 'strict']) {
      for (const e of await events(task.workdir, id)) {
        if (e.type === 'ExperimentReused') expect(family.has(e.data.source.searchId)).toBe(true);
        if ((e.type === 'GateEvaluated' || e.type === 'BaselineMeasured') && e.data.reusedFrom) expect(family.has(e.data.reusedFrom.searchId)).toBe(true);
      }
    }
  }, 60_000);

  it('refuses to write a replay over a search that is not a replay of the same source, and writes nothing', async () => {
    const count = (await events(task.workdir, 's2')).length;
    const r = await attempt(['replay', 's1', '--as', 's2', ...w]);
    expect(r.exitCode).toBe(2);
    expect(r.all).toContain('--as s2: a search of that id exists and is not a replay of s1');
    expect((await events(task.workdir, 's2')).length).toBe(count);
    const other = await attempt(['replay', 's2', '--as', 'same1', ...w]);
    expect(other.exitCode).toBe(2);
    // A replay resumes under the policies it started with, never silently under others.
    const strictEvents = (await events(task.workdir, 'strict')).length;
    const switched = await attempt(['replay', 's1', '--as', 'strict', '--policy', 'admission.alpha=0.5', ...w]);
    expect(switched.exitCode).toBe(2);
    expect(switched.all).toContain('--as strict: that replay runs under other policies');
    expect((await events(task.workdir, 'strict')).length).toBe(strictEvents);
  }, 60_000);

  it('rebuild checks reused evidence against its source: a replay edited to pass off another score is named, a faithful one is consistent', async () => {
    const rebuild = async (id: string) => JSON.parse((await attempt(['rebuild', id, '--json', ...w])).stdout) as { consistent: boolean; problems: string[] };
    expect(await rebuild('same2')).toMatchObject({ consistent: true, problems: [] });
    const db = new Database(path.join(task.workdir, 'events.db'));
    try {
      const row = db.prepare("SELECT revision, data FROM events WHERE stream_id = 'search-same2' AND type = 'ExperimentReused' ORDER BY revision LIMIT 1").get() as { revision: number; data: string };
      const data = JSON.parse(row.data);
      data.outcome.data.runs = data.outcome.data.runs.map((r: { seed: number; value: number }) => ({ ...r, value: r.value + 0.5 }));
      db.prepare("UPDATE events SET data = ? WHERE stream_id = 'search-same2' AND revision = ?").run(JSON.stringify(data), row.revision);
      const report = await rebuild('same2');
      expect(report.consistent).toBe(false);
      expect(report.problems).toEqual([expect.stringMatching(new RegExp(`^search-same2@${row.revision} \\(ExperimentReused\\): its outcome differs from its source`))]);
    } finally {
      db.close();
    }
  }, 60_000);

  it('compares two searches by what their nodes test, with the held-out gain and the cost of each', async () => {
    const c = JSON.parse((await hypotree(['compare', 's1', 'dev-only', '--json', ...w])).stdout);
    expect(c.a.searchId).toBe('s1');
    expect(c.b.searchId).toBe('dev-only');
    expect(c.identical).toBe(false);
    expect(c.onlyInA.length + c.onlyInB.length + c.changed.length).toBeGreaterThan(0);
    expect(c.a.heldOut.gain).toEqual(expect.any(Number));
    const text = (await hypotree(['compare', 's1', 'same1', ...w])).stdout;
    expect(text).toContain('decisions: identical, decision for decision');
    expect(text).toMatch(/B: \d+ experiments \(all reused\)/);
    // The listing says which searches are replays, and of what.
    const listed = JSON.parse((await hypotree(['searches', '--json', ...w])).stdout) as { searchId: string; replayOf: string | null }[];
    expect(listed.find((l) => l.searchId === 'same1')?.replayOf).toBe('s1');
    expect(listed.find((l) => l.searchId === 's1')?.replayOf).toBeNull();
    expect((await hypotree(['searches', ...w])).stdout).toMatch(/same1 .* replay of s1/);
    // Explain shows the test set's use across the family.
    const x = JSON.parse((await hypotree(['explain', 's1', '0', '--json', ...w])).stdout);
    expect(x.family).toMatchObject({ searches: 5, testScores: expect.any(Number) });
  }, 60_000);
});

describe('hypotree replay of an LLM search: the log is the cache of model replies', () => {
  it('reproduces a search with the llm proposer and distiller with the model endpoint gone, and makes no model call', async () => {
    const server = await startScriptedOpenAI({ respond: spiralsModel() });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-replay-llm-'));
    fs.chmodSync(dir, 0o755);
    try {
      const env = { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'sk-scripted' };
      await hypotree(['run', path.resolve('examples/spirals'), '--budget', '4', '--parallel', '2', '--proposer', 'llm', '--distiller', 'llm', '--model', 'scripted-model', '--search-id', 'llm', '--workdir', dir], env);
      const asked = server.requests.length;
      const recorded = (await events(dir, 'llm')).filter((e) => e.type === 'ModelCalled');
      expect(recorded.length).toBe(asked); // every call the server answered is in the log
      await server.close();

      // No endpoint at all now: every reply must come from the log.
      const { OPENAI_BASE_URL: _url, ...rest } = process.env;
      const r = await execa('node', [HYPOTREE_BIN, 'replay', 'llm', '--as', 'llm-again', '--json', '--workdir', dir], { env: { ...rest, OPENAI_BASE_URL: '' }, extendEnv: false, all: true });
      const replayed = JSON.parse(r.stdout) as Replay;
      expect(replayed.finished).toBe(true);
      expect(replayed.comparison.identical).toBe(true);
      const { a, b } = replayed.comparison;
      expect(b.cost).toMatchObject({ modelCalls: a.cost.modelCalls, modelCallsReused: a.cost.modelCalls, experimentsReused: a.cost.experiments });
      expect(replayed.family.modelCalls).toBe(asked);
      expect(server.requests.length).toBe(asked);
      const again = await events(dir, 'llm-again');
      const calls = again.filter((e) => e.type === 'ModelCalled');
      expect(calls.length).toBe(recorded.length);
      for (const c of calls) if (c.type === 'ModelCalled') expect(c.data.reusedFrom?.searchId).toBe('llm');
      // The proposals carry the same producers (model, prompt hash, tokens) as the original's.
      const producers = (es: RecordedSearchEvent[]) => es.filter((e) => e.type === 'HypothesisProposed').map((e) => (e.data as { proposer: unknown }).proposer);
      expect(producers(again)).toEqual(producers(await events(dir, 'llm')));
    } finally {
      await server.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
