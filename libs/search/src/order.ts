import type { SearchTree } from '@hypotree/tree';
import { inFlight } from './advance.js';
import type { ExecutorReport } from './model.js';

type ResultReport = Extract<ExecutorReport, { kind: 'result' | 'reused' }>;

/**
 * The next result the search may decide on, out of those held back: results are decided in the
 * order their nodes were first dispatched, whatever order the executors finish in. A result waits
 * while a node dispatched before its own is still in flight (and not held too). So a search with
 * the same seed and policies makes the same decisions however its parallel executors are timed;
 * the price is that a fast result may wait for a slower one dispatched before it.
 * A result for an experiment that is not in flight (late, duplicate, unknown) goes through at once:
 * the decider ignores it with a warning.
 */
export function nextInDispatchOrder<R extends ResultReport>(tree: SearchTree, held: readonly R[]): R | undefined {
  const flying = inFlight(tree);
  const byExperiment = new Map(held.map((r) => [r.message.experimentId, r]));
  const stray = held.find((r) => !flying.some((f) => f.experimentId === r.message.experimentId));
  if (stray) return stray;
  const first = (f: (typeof flying)[number]) => f.node.experiments[0]!.revision;
  const oldest = [...flying].sort((a, b) => first(a) - first(b))[0];
  return oldest ? byExperiment.get(oldest.experimentId) : undefined;
}
