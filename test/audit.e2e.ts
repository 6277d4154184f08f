// Auditing recorded searches through the real CLI: "why was node X admitted?" is one command for
// any node; the events, the diff, the code and a flat export are one command each; a replay under
// the recorded policy reproduces every recorded decision; misspelt policy keys and usage errors
// are one-line errors with exit code 2.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { HYPOTREE_BIN, hypotree, spawnHypotree } from './support/cli.js';
import { createSyntheticTask, type SyntheticTask } from './support/synthetic-task.js';

interface TreeJson {
  best: string | null;
  nodes: { id: string; parentId: string | null; status: string; best: boolean; dev: { mean: number } | null; decision: { admitted: boolean; rule: string } | null; change: { kind: string; set?: Record<string, unknown> } | null }[];
}

/** Runs `hypotree` and resolves with its exit code and output instead of throwing. */
async function attempt(args: string[]) {
  return execa('node', [HYPOTREE_BIN, ...args], { reject: false, all: true });
}

const SEEDS = [1, 2, 3];
let task: SyntheticTask;
let w: string[];
const tree = async (searchId: string): Promise<TreeJson> => JSON.parse((await hypotree(['tree', searchId, '--json', ...w])).stdout) as TreeJson;

beforeAll(async () => {
  task = createSyntheticTask('overfit');
  w = ['--workdir', task.workdir];
  // Three recorded searches (one log), two executors each.
  for (const seed of SEEDS) await hypotree(['run', task.root, '--budget', '8', '--parallel', '2', '--seed', String(seed), '--search-id', `s${seed}`, ...w]);
}, 600_000);

afterAll(() => task?.cleanup());

describe('why was a node admitted: hypotree explain', () => {
  it('answers for the best node in one command, with the policy, the rule, the thresholds and the evidence resolved', async () => {
    // The first recorded search whose best is an admitted node (the root has no decision to explain); one must exist.
    let searchId: string | undefined;
    let best: string | null = null;
    for (const seed of SEEDS) {
      ({ best } = await tree(`s${seed}`));
      if (best !== null && best !== '0') {
        searchId = `s${seed}`;
        break;
      }
    }
    expect(searchId).toBeDefined();
    const x = JSON.parse((await hypotree(['explain', searchId!, best!, '--json', ...w])).stdout);
    expect(x.decision).toMatchObject({ outcome: 'admitted', rule: 'verified', policy: { name: 'admission', version: 5 } });
    expect(Object.keys(x.decision.deltas)).toEqual(expect.arrayContaining(['dev', 'threshold', 'gate', 'gateThreshold', 'gateLevel']));
    expect(x.decision.evidence.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['ExperimentSucceeded', 'GateEvaluated']));
    const text = (await hypotree(['explain', searchId!, best!, ...w])).stdout;
    expect(text).toContain(`node ${best} of search ${searchId}: admitted`);
    expect(text).toContain('★ the best node');
    expect(text).toMatch(/5\. admitted by admission v5, rule verified/);
  }, 60_000);

  it('explains every node of a recorded search, whatever its outcome, and the root with the held-out test', async () => {
    const { nodes } = await tree('s2');
    const outcomes = new Set<string>();
    for (const node of nodes) {
      const x = JSON.parse((await hypotree(['explain', 's2', node.id, '--json', ...w])).stdout);
      expect(x).toMatchObject({ nodeId: node.id, status: node.status });
      outcomes.add(node.status);
      if (node.decision) expect(x.decision).toMatchObject({ outcome: node.decision.admitted ? 'admitted' : 'rejected', rule: node.decision.rule });
      if (node.id === '0') expect(x.finalTest).toMatchObject({ bestNodeId: expect.any(String) });
      else expect(x.proposal.change).toEqual(node.change);
    }
    expect(outcomes.has('rejected')).toBe(true);
  }, 300_000);

  it('refuses a node the search does not have, in one line, exit 2', async () => {
    const r = await attempt(['explain', 's1', '9.9.9', ...w]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^hypotree: search s1 has no node 9\.9\.9 \(it has \d+ nodes: 0, 1, /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('events, diff, checkout, export', () => {
  it('lists events by type, node and revision range', async () => {
    const { nodes } = await tree('s1');
    const decided = nodes.filter((n) => n.decision);
    const lines = (await hypotree(['events', 's1', '--type', 'HypothesisAdmitted', 'HypothesisRejected', ...w])).stdout.trim().split('\n');
    expect(lines).toHaveLength(decided.length);
    expect(lines.every((l) => /HypothesisAdmitted|HypothesisRejected/.test(l))).toBe(true);
    const node = decided[0]!.id;
    const events = (await hypotree(['events', 's1', '--node', node, '--ndjson', ...w])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.length).toBeGreaterThanOrEqual(4); // proposed, dispatched, result, decision at least
    expect(events.every((e) => e.data.nodeId === node)).toBe(true);
    const window = (await hypotree(['events', 's1', '--from', '3', '--to', '5', '--ndjson', ...w])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(window.map((e) => e.revision)).toEqual([3, 4, 5]);
    const bad = await attempt(['events', 's1', '--type', 'HypothesisAdmited', ...w]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--type HypothesisAdmited: no such event type; the types are SearchStarted');
  }, 60_000);

  it('follows a search while it runs, ending on its last event', async () => {
    const run = spawnHypotree(['run', task.root, '--budget', '4', '--parallel', '2', '--seed', '9', '--search-id', 'live', ...w]);
    // The stream exists once the search has started.
    for (let i = 0; i < 200 && (await attempt(['events', 'live', ...w])).exitCode !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const follow = spawnHypotree(['events', 'live', '--follow', '--ndjson', ...w]);
    let printed = '';
    follow.stdout!.on('data', (chunk: Buffer) => (printed += String(chunk)));
    await run;
    // Stop following once the last event has been printed (or after a minute: a loaded machine
    // can take seconds to start the follower), then check everything it printed.
    for (let i = 0; i < 600 && !printed.includes('"FinalTestEvaluated"'); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    follow.kill('SIGINT');
    const seen = String((await follow).stdout).trim().split('\n').map((l) => JSON.parse(l) as { revision: number; type: string });
    expect(seen[0]!.revision).toBe(0);
    expect(seen.map((e) => e.revision)).toEqual(seen.map((_, i) => i)); // every revision, once, in order
    expect(seen.at(-1)!.type).toBe('FinalTestEvaluated');
  }, 240_000);

  it("shows a node's diff against its parent and checks its code out into a new folder", async () => {
    const { nodes } = await tree('s1');
    const node = nodes.find((n) => n.id !== '0' && n.dev)!;
    const stat = (await hypotree(['diff', 's1', node.id, '--stat', ...w])).stdout;
    expect(stat).toMatch(/config\.json \| \d+/);
    const patch = (await hypotree(['diff', 's1', node.id, ...w])).stdout;
    expect(patch).toContain('+++ b/config.json');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hypotree-checkout-'));
    rmSync(dir, { recursive: true });
    try {
      await hypotree(['checkout', 's1', node.id, dir, ...w]);
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      expect(config).toMatchObject(node.change!.set!);
      const again = await attempt(['checkout', 's1', node.id, dir, ...w]);
      expect(again.exitCode).toBe(2);
      expect(again.stderr).toContain('is not empty');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('exports one row per experiment, the same numbers as the tree, as CSV with a header or as NDJSON', async () => {
    const { nodes } = await tree('s2');
    const experiments = nodes.filter((n) => n.id !== '0' && n.status !== 'proposed');
    const rows = (await hypotree(['export', 's2', '--ndjson', ...w])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.node).sort()).toEqual(experiments.map((n) => n.id).sort());
    for (const row of rows) {
      const node = nodes.find((n) => n.id === row.node)!;
      expect(row.dev_mean).toBe(node.dev?.mean ?? null);
      expect(row.rule).toBe(node.decision?.rule ?? '');
      expect(Object.keys(row)).toEqual(Object.keys(rows[0])); // the same columns on every row
    }
    const csv = (await hypotree(['export', 's2', '--csv', ...w])).stdout.trim().split('\n');
    expect(csv[0]!.split(',').slice(0, 4)).toEqual(['search', 'node', 'parent', 'title']);
    expect(csv[0]).toContain('param.honest');
    expect(csv).toHaveLength(rows.length + 1);
  }, 60_000);
});

describe('replay and policy keys', () => {
  it.each(SEEDS)('a replay under the recorded policy reproduces every recorded decision (search s%i)', async (seed) => {
    const r = await hypotree(['replay', `s${seed}`, '--admission-only', '--json', ...w]);
    const replay = JSON.parse(r.stdout);
    expect(replay.decisions.length).toBeGreaterThan(0);
    for (const d of replay.decisions) {
      if (d.recorded.outcome === 'failed') continue;
      expect({ node: d.nodeId, outcome: d.replayed.outcome, rule: d.replayed.rule }).toEqual({ node: d.nodeId, outcome: d.recorded.outcome, rule: d.recorded.rule });
    }
    expect(replay.replayedBest).toBe(replay.recordedBest);
  }, 60_000);

  it('refuses a policy parameter that does not exist, with a did-you-mean, before anything runs', async () => {
    const run = await attempt(['run', task.root, '--policy', 'admission.sigmaz=3', '--search-id', 'never', ...w]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^hypotree: --policy admission\.sigmaz=3: admission has no parameter 'sigmaz' \(did you mean admission\.sigmas\?\); its parameters are /);
    expect((await attempt(['events', 'never', ...w])).exitCode).not.toBe(0); // no search was started
    const replay = await attempt(['replay', 's1', '--policy', 'admission.foo=1', ...w]);
    expect(replay.exitCode).toBe(2);
    expect(replay.stderr).toContain("admission has no parameter 'foo'");
  }, 60_000);

  it('prints its version, and exits 2 on a usage error', async () => {
    expect((await hypotree(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const missing = await attempt(['explain', 's1']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'nodeId'");
    expect((await attempt(['tree', 's1', '--no-such-flag', ...w])).exitCode).toBe(2);
  });
});
