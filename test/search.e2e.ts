import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT_NODE_ID, type RecordedSearchEvent } from '@hypotree/events';
import { fold, relativeGain, searchCounts } from '@hypotree/tree';
import { hypotree, lastJsonLine, spawnHypotree } from './support/cli.js';
import { countOf, readSearchLog, TASK, type Summary } from './support/search-log.js';

// End to end through the built CLI, as a user runs it: a real search on the bundled task, real git
// worktrees, real child processes, the SQLite log — then the log, the tree and the summary must agree.


describe('hypotree run (embedded, end to end)', () => {
  const workdirs: string[] = [];
  const workdir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-e2e-'));
    fs.chmodSync(dir, 0o755);
    workdirs.push(dir);
    return dir;
  };
  afterAll(() => workdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('runs a small search whose log, tree and summary agree', async () => {
    const dir = workdir();
    const { stdout } = await hypotree(['run', TASK, '--budget', '4', '--parallel', '2', '--workdir', dir, '--json']);
    const summary = lastJsonLine<Summary>(stdout);
    const events = await readSearchLog(dir, summary.searchId);
    const tree = fold(events);
    const counts = searchCounts(tree);

    expect(events[0]!.type).toBe('SearchStarted');
    expect(countOf(events, 'FinalTestEvaluated')).toBe(1);
    expect(summary.experiments).toBe(4);
    expect(counts.experiments).toBe(summary.experiments);
    expect(countOf(events, 'ExperimentSucceeded') + events.filter((e) => e.type === 'ExperimentFailed' && e.data.kind !== 'lease-expired').length).toBe(4);
    expect(countOf(events, 'HypothesisAdmitted')).toBe(summary.admitted);
    expect(countOf(events, 'GateEvaluated')).toBe(summary.gateEvaluations);
    expect(summary.gateEvaluations).toBeGreaterThanOrEqual(1); // the root's gate score, at least

    const final = tree.finalTest!;
    expect(final.baseline.value).toBe(summary.baseline.test);
    expect(final.best.value).toBe(summary.best.test);
    expect(summary.relativeGain).toBeCloseTo(relativeGain(summary.best.test!, summary.baseline.test!, 'maximize'), 12);
    expect(tree.completed!.bestNodeId).toBe(summary.best.nodeId);
    expect(tree.nodes.get(ROOT_NODE_ID)!.result!.mean).toBe(summary.baseline.dev);

    // Every node that ran keeps its commit on its own ref, admitted or not.
    const refs = await execa('git', ['--git-dir', path.join(dir, 'spirals', 'repo.git'), 'for-each-ref', '--format=%(refname) %(objectname)', `refs/hypotree/${summary.searchId}/`]);
    for (const node of tree.nodes.values()) {
      if (node.result && node.id !== ROOT_NODE_ID) expect(refs.stdout).toContain(`refs/hypotree/${summary.searchId}/${node.id} ${node.result.commit}`);
    }

    const treeView = await hypotree(['tree', summary.searchId, '--workdir', dir]);
    for (const id of tree.nodes.keys()) expect(treeView.stdout).toMatch(new RegExp(`(^|[─ ])${id.replace(/\./g, '\\.')} `, 'm'));
    const rebuilt = lastJsonLine<{ events: number; nodes: number; consistent: boolean }>((await hypotree(['rebuild', summary.searchId, '--workdir', dir, '--json'])).stdout);
    expect(rebuilt).toMatchObject({ events: events.length, nodes: tree.nodes.size, consistent: true });
  });

  it('refuses to resume a search whose task changed since it started', async () => {
    const dir = workdir();
    const copy = path.join(dir, 'task');
    fs.cpSync(TASK, copy, { recursive: true });
    const args = ['run', copy, '--budget', '1', '--parallel', '1', '--workdir', dir, '--search-id', 'edited', '--json'];
    await hypotree(args);
    const spec = path.join(copy, 'hypotree.task.json');
    fs.writeFileSync(spec, fs.readFileSync(spec, 'utf8').replace('"description": "', '"description": "Edited. '));
    const again = await hypotree(args).catch((error: { exitCode: number; stderr: string }) => error);
    expect(again).toMatchObject({ exitCode: 2, stderr: expect.stringMatching(/search edited cannot resume: its task changed since it started \(spec hash/) });
  });

  it('resumes a search killed mid-way (SIGKILL) without losing or duplicating any result', async () => {
    const dir = workdir();
    const args = ['run', TASK, '--budget', '6', '--parallel', '2', '--workdir', dir, '--search-id', 'killed', '--json'];
    const first = spawnHypotree(args);
    let before: RecordedSearchEvent[] = [];
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100));
      before = fs.existsSync(path.join(dir, 'events.db')) ? await readSearchLog(dir, 'killed') : [];
      if (countOf(before, 'ExperimentSucceeded') + countOf(before, 'ExperimentFailed') >= 2) break;
    }
    first.kill('SIGKILL');
    await first;
    before = await readSearchLog(dir, 'killed');
    expect(countOf(before, 'ExperimentSucceeded') + countOf(before, 'ExperimentFailed')).toBeGreaterThanOrEqual(2);
    expect(countOf(before, 'FinalTestEvaluated')).toBe(0);

    const { stdout } = await hypotree(args);
    const summary = lastJsonLine<Summary>(stdout);
    const after = await readSearchLog(dir, 'killed');

    // The log before the kill is an untouched prefix of the log after it.
    expect(after.slice(0, before.length).map((e) => e.id)).toEqual(before.map((e) => e.id));
    // No node has two results; every experiment in flight at the kill was expired and re-run.
    const results = new Map<string, number>();
    for (const e of after) {
      if (e.type === 'ExperimentSucceeded' || (e.type === 'ExperimentFailed' && e.data.kind !== 'lease-expired')) {
        results.set(e.data.nodeId, (results.get(e.data.nodeId) ?? 0) + 1);
      }
    }
    expect([...results.values()].every((n) => n === 1)).toBe(true);
    const tree = fold(after);
    // Every experiment in flight when the process died ends as failed (its lease expired at resume), never left running.
    const inFlightAtKill = [...fold(before).nodes.values()].filter((n) => n.status === 'running').map((n) => n.id);
    expect(inFlightAtKill.map((id) => tree.nodes.get(id)!.experiments[0]!.state)).toEqual(inFlightAtKill.map(() => 'failed'));
    expect([...tree.nodes.values()].filter((n) => n.status === 'running')).toEqual([]);
    expect(summary.experiments).toBe(6);
    expect(countOf(after, 'FinalTestEvaluated')).toBe(1);
    expect(searchCounts(tree).experiments).toBe(6);
  });
});
