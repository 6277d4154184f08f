import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fold } from '@hypotree/tree';
import { hypotree, lastJsonLine } from './support/cli.js';
import { countOf, readSearchLog, TASK, type Summary } from './support/search-log.js';

// Audit and counterfactuals through the CLI: replay a finished search's admissions under another
// policy from the recorded evidence, and branch it at a revision to run on under that policy.

describe('hypotree replay and branch', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-branch-'));
  fs.chmodSync(dir, 0o755);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('replays admissions under another policy, then branches and runs on under it, leaving the parent untouched', async () => {
    const run = await hypotree(['run', TASK, '--budget', '6', '--parallel', '2', '--workdir', dir, '--search-id', 'parent', '--json']);
    const parentSummary = lastJsonLine<Summary>(run.stdout);
    const parent = await readSearchLog(dir, 'parent');

    type Replay = { decisions: { nodeId: string; changed: boolean; replayed: { outcome: string; rule: string } }[]; replayedBest: string };
    const same = lastJsonLine<Replay>((await hypotree(['replay', 'parent', '--admission-only', '--policy', 'admission.alpha=0.05', '--workdir', dir, '--json'])).stdout);
    expect(same.decisions).toHaveLength(countOf(parent, 'ExperimentSucceeded'));
    expect(same.decisions.filter((d) => d.changed)).toEqual([]);
    expect(same.replayedBest).toBe(parentSummary.best.nodeId);
    const strict = lastJsonLine<Replay>((await hypotree(['replay', 'parent', '--admission-only', '--policy', 'admission.test=fixed', 'admission.sigmas=1000', '--workdir', dir, '--json'])).stdout);
    expect(strict.decisions.length).toBeGreaterThan(0);
    expect(strict.decisions.filter((d) => d.replayed.outcome !== 'rejected')).toEqual([]);
    expect(strict.replayedBest).toBe('0');

    // Branch just before the first decision on a proposed node, with an admission that admits nothing.
    const firstDecision = parent.find((e) => (e.type === 'HypothesisAdmitted' || e.type === 'HypothesisRejected') && e.data.nodeId !== '0')!;
    const at = firstDecision.revision - 1;
    await hypotree(['branch', 'parent', '--at', String(at), '--policy', 'admission.test=fixed', 'admission.sigmas=1000', '--reason', 'what if nothing is admitted', '--id', 'strict', '--workdir', dir]);
    const branchRun = await hypotree(['run', TASK, '--search-id', 'strict', '--workdir', dir, '--json']);
    const branchSummary = lastJsonLine<Summary>(branchRun.stdout);

    expect(await readSearchLog(dir, 'parent')).toEqual(parent);
    const own = await readSearchLog(dir, 'strict');
    expect(own[0]).toMatchObject({ type: 'SearchBranched', data: { parent: { searchId: 'parent', revision: at }, reason: 'what if nothing is admitted' } });
    const branchTree = fold([...parent.filter((e) => e.revision <= at), ...own]);
    expect(branchTree.started!.policies.admission.params).toMatchObject({ test: 'fixed', sigmas: 1000 });
    expect(countOf(own, 'HypothesisAdmitted')).toBe(0);
    expect(branchSummary).toMatchObject({ searchId: 'strict', admitted: 0, experiments: 6 });
    expect(branchSummary.best.nodeId).toBe('0');
  }, 180_000);
});
