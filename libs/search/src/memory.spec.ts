import { searchInMemory, syntheticTaskSpec, valley, type MemoryProblem } from './testing/index.js';

// A loss to minimise over valley's space: the in-memory search must orient it as the coordinator does.
const loss = (config: Record<string, unknown>) => (Number(config.x) - 0.7) ** 2 + (Number(config.y) - 0.6) ** 2 + 0.1;

function minimising(hash: string): MemoryProblem {
  const task = syntheticTaskSpec(valley);
  return {
    task: { ...task, hash, evaluatorHash: `${hash}-evaluators`, spec: { ...task.spec, objective: { metric: 'loss', direction: 'minimize' } } },
    measure: (config, split, seeds) => seeds.map((seed) => ({ seed, value: loss(config) + (split === 'dev' ? 0.001 * seed : 0) })),
  };
}

describe('searchInMemory', () => {
  it('runs a search on any task to its held-out test, its runs declaring the task they ran under', async () => {
    const { tree, experiments, history } = await searchInMemory(minimising('spec-abc'), { seed: 2, budget: 12, parallel: 2 });
    expect(experiments).toBe(12);
    expect(tree.objective?.direction).toBe('minimize');
    // Null case of the integrity check: runs made under the search's own spec are never refused as another evaluator's.
    expect([...tree.nodes.values()].filter((n) => n.decision?.rule === 'evaluator-changed')).toEqual([]);
    for (const e of history) if (e.type === 'ExperimentSucceeded') expect(e.data.integrity).toMatchObject({ specHash: 'spec-abc', evaluatorHash: 'spec-abc-evaluators' });
    // Lower loss is better: the final test's gain is positive when the best node's loss is below the baseline's.
    const final = tree.finalTest!;
    expect(final.best.value <= final.baseline.value).toBe(final.relativeGain >= 0);
    expect(final.relativeGain).toBeGreaterThan(0);
  });

  it('is deterministic for a seed, and the --no-insights ablation distills nothing', async () => {
    const a = await searchInMemory(minimising('h'), { seed: 3, budget: 10, parallel: 2 });
    const b = await searchInMemory(minimising('h'), { seed: 3, budget: 10, parallel: 2 });
    expect(b.history.map((e) => e.type)).toEqual(a.history.map((e) => e.type));
    expect(b.bestNodeId).toBe(a.bestNodeId);
    const bare = await searchInMemory(minimising('h'), { seed: 3, budget: 10, parallel: 2, insights: false });
    expect(bare.history.filter((e) => e.type === 'InsightDistilled')).toEqual([]);
    expect(a.history.some((e) => e.type === 'InsightDistilled')).toBe(true);
  });
});
