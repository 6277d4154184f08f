// Two whole searches with the same seed and policies, two parallel executors, and evaluations of
// random duration: they must make the same decisions, because results are decided in the order
// they were dispatched, not the order they finish in. The decider-level version of this check,
// with its null case (deciding results as they arrive does depend on timing), is
// libs/search/src/generalise.spec.ts.
import type { RecordedSearchEvent } from '@hypotree/events';
import { hypotree } from './support/cli.js';
import { readSearchLog } from './support/search-log.js';
import { createSyntheticTask } from './support/synthetic-task.js';

/** The decisions of a search: hypotheses, outcomes, admissions, insights and the final best, in log order (arrival-time events left out). */
function decisions(events: RecordedSearchEvent[]): string[] {
  const timing = new Set(['ExperimentStarted', 'ExperimentDispatched']);
  return events
    .filter((e) => !timing.has(e.type))
    .map((e) => {
      const d = e.data as Record<string, unknown>;
      switch (e.type) {
        case 'HypothesisProposed':
          return `${e.type} ${d.nodeId} ${JSON.stringify(d.change)}`;
        case 'ExperimentSucceeded':
          return `${e.type} ${d.nodeId} ${JSON.stringify((d.runs as { seed: number; value: number }[]).map((r) => [r.seed, r.value]))}`;
        case 'HypothesisAdmitted':
        case 'HypothesisRejected':
          return `${e.type} ${d.nodeId} ${d.rule}`;
        case 'InsightDistilled':
          return `${e.type} ${d.insightId}`;
        case 'SearchCompleted':
          return `${e.type} ${d.bestNodeId}`;
        default:
          return `${e.type} ${d.nodeId ?? ''}`;
      }
    });
}

async function search(seed: number): Promise<string[]> {
  const synthetic = createSyntheticTask('overfit', { jitterMs: 600 });
  try {
    await hypotree(['run', synthetic.root, '--budget', '10', '--parallel', '2', '--seed', String(seed), '--workdir', synthetic.workdir, '--search-id', 'twin', '--json']);
    return decisions(await readSearchLog(synthetic.workdir, 'twin'));
  } finally {
    synthetic.cleanup();
  }
}

describe('a search is reproducible under parallel executors', () => {
  it('two runs with --parallel 2 and the same seed make the same decisions, whatever order their experiments finish in', async () => {
    const [first, second] = await Promise.all([search(4), search(4)]);
    expect(first.filter((line) => line.startsWith('HypothesisProposed')).length).toBe(10);
    expect(second).toEqual(first);
  }, 240_000);
});
