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
/** An overfit search (budget 16, one executor) in which the gate saw a near miss and took a second look. */
const SECOND_LOOK_SEED = 1;

type Config = Record<string, number>;

interface GateEvent {
  id: string;
  type: string;
  data: { nodeId: string; runs: Array<{ seed: number; value: number }>; gateEvaluationsUsed: number; extendsGate?: string };
}

/**
 * Runs a search (with `extra` arguments); returns its summary, the configs along the final best's
 * lineage, root first (a node's commit's parent is its parent node's), and its gate evaluations.
 */
async function search(kind: 'noise' | 'overfit', seed: number, extra: string[] = []): Promise<{ summary: SearchSummary; lineage: Config[]; gates: GateEvent[] }> {
  const synthetic = createSyntheticTask(kind);
  try {
    const { stdout } = await hypotree(['run', synthetic.root, '--budget', '16', '--parallel', '1', '--seed', String(seed), '--workdir', synthetic.workdir, '--json', ...extra]);
    const summary = lastJsonLine<SearchSummary>(stdout);
    const repo = path.join(synthetic.workdir, kind, 'repo.git');
    const commits = (await git(repo, ['rev-list', '--reverse', summary.best.commit])).split('\n');
    const lineage = await Promise.all(commits.map(async (c) => JSON.parse(await git(repo, ['show', `${c}:config.json`])) as Config));
    const events = (await hypotree(['events', summary.searchId, '--type', 'GateEvaluated', 'GateFailed', '--ndjson', '--workdir', synthetic.workdir])).stdout.trim().split('\n');
    return { summary, lineage, gates: events.map((line) => JSON.parse(line) as GateEvent) };
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

// The same protections with second gate looks on (`admission.gateExtend`): the scorer runs the
// look's seeds after the first look's, in its own sandbox, and each candidate's level is split
// between its looks, so noise still yields no claim and the dev-only parameter still no step.
describe('a second gate look for a near miss, through whole searches', () => {
  const LOOKS = ['--policy', 'admission.gateExtend=8'];

  it('claims no held-out gain on a task where nothing matters after a second look at noise (seed 1, alpha 0.5)', async () => {
    // At alpha 0.05 a pure-noise search of 16 rarely sees a near miss (seeds 1–8 took no second
    // look); at a lax 0.5 seed 1 takes one, so the look runs on noise here and still claims nothing.
    const { summary, gates } = await search('noise', 1, [...LOOKS, '--policy', 'admission.alpha=0.5']);
    const seconds = gates.filter((g) => g.data.extendsGate !== undefined);
    expect(seconds.length).toBeGreaterThan(0);
    for (const second of seconds) expect(second.data.runs.map((r) => r.seed)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(summary.gainInterval!.withinNoise).toBe(true);
    expect(summary.gateEvaluations).toBe(gates.length);
  }, 120_000);

  it('runs a second look on the seeds after the first, counts it as a gate call, and admits no dev-only step', async () => {
    const { summary, lineage, gates } = await search('overfit', SECOND_LOOK_SEED, LOOKS);
    const seconds = gates.filter((g) => g.data.extendsGate !== undefined);
    expect(seconds.length).toBeGreaterThan(0);
    for (const second of seconds) {
      const first = gates.find((g) => g.id === second.data.extendsGate)!;
      expect(first.data.nodeId).toBe(second.data.nodeId);
      expect(first.data.runs.map((r) => r.seed)).toEqual([1, 2, 3, 4]);
      expect(second.data.runs.map((r) => r.seed)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
      // The scorer's seeded noise differs by seed: the look measured new runs, not the first look's again.
      expect(second.data.runs.map((r) => r.value)).not.toEqual(first.data.runs.map((r) => r.value).concat(first.data.runs.map((r) => r.value)));
    }
    expect(summary.gateEvaluations).toBe(gates.length);
    const overfitSteps = lineage.slice(1).filter((child, i) => child.trap! > lineage[i]!.trap! && child.honest! <= lineage[i]!.honest!);
    expect(overfitSteps).toEqual([]);
  }, 120_000);
});
