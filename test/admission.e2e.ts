// Whole searches on tasks whose truth is known: noise must yield no claimed held-out gain, and a
// parameter that only inflates dev must stay out of the final best (it is chosen on the gate).
// `--parallel 1` makes each search reproducible. What the same rules do with the protection off is
// measured in libs/policy/src/calibration.spec.ts and bench/admission.mjs (the fixed test).
import type { SearchSummary } from '@hypotree/coordinator';
import { git } from '@hypotree/workspace';
import path from 'node:path';
import { hypotree, lastJsonLine } from './support/cli.js';
import { createSyntheticTask } from './support/synthetic-task.js';

const SEEDS = [1, 2, 3];

type Config = Record<string, number>;

/** Runs a search; returns its summary and the configs along the final best's lineage, root first (a node's commit's parent is its parent node's). */
async function search(kind: 'noise' | 'overfit', seed: number): Promise<{ summary: SearchSummary; lineage: Config[] }> {
  const synthetic = createSyntheticTask(kind);
  try {
    const { stdout } = await hypotree(['run', synthetic.root, '--budget', '16', '--parallel', '1', '--seed', String(seed), '--workdir', synthetic.workdir, '--json']);
    const summary = lastJsonLine<SearchSummary>(stdout);
    const repo = path.join(synthetic.workdir, kind, 'repo.git');
    const commits = (await git(repo, ['rev-list', '--reverse', summary.best.commit])).split('\n');
    const lineage = await Promise.all(commits.map(async (c) => JSON.parse(await git(repo, ['show', `${c}:config.json`])) as Config));
    return { summary, lineage };
  } finally {
    synthetic.cleanup();
  }
}

describe('admission under noise and dev-overfitting, through whole searches', () => {
  it.each(SEEDS)('claims no held-out gain on a task where nothing matters (seed %i)', async (seed) => {
    const { summary } = await search('noise', seed);
    expect(summary.gainInterval).not.toBeNull();
    expect(summary.gainInterval!.withinNoise).toBe(true);
  }, 120_000);

  it.each(SEEDS)('admits no step toward the final best for its dev-only gain (seed %i)', async (seed) => {
    const { lineage } = await search('overfit', seed);
    // A step that raised the dev-only parameter without raising the honest one gained nothing real.
    const overfitSteps = lineage.slice(1).filter((child, i) => child.trap! > lineage[i]!.trap! && child.honest! <= lineage[i]!.honest!);
    expect(overfitSteps).toEqual([]);
  }, 120_000);
});

