import { ROOT_NODE_ID, type NodeId, type SearchEventData } from '@hypotree/events';
import type { PendingEvent } from '@hypotree/event-store';
import type { SearchTree } from '@hypotree/tree';
import { inFlight } from './in-flight.js';
import type { EvaluationFailure, SearchContext, SearchDecision } from './model.js';
import { eventId, recorded } from './record.js';

// A search that cannot go on: an evaluation it cannot do without produced no score. The baseline's
// dev runs are what every candidate is compared with on dev, its gate score what every candidate is
// verified against; without them no decision could be honest (every candidate would be rejected as
// parent-not-gated, and the budget spent for nothing). Without the held-out test there is no result.
// The search ends with SearchFailed, which says what failed, how, and what the evaluation printed.

/** How much of a failed run's output SearchFailed keeps. */
export const OUTPUT_TAIL_CHARS = 2000;

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');

/**
 * What went wrong, in one line, after "the baseline's gate evaluation failed (kind)": the detail's
 * first line (sealed evaluations carry their output tails after it) without the evaluation and
 * commit it repeats, and the seed as "on seed N: …".
 */
export function conciseDetail(detail: string): string {
  const first = (lines(detail)[0] ?? 'no detail').replace(/^(?:dev|gate|test) evaluation of \S+ failed \([a-z-]+\): /, '');
  const seeded = /^(?:dev|gate|test) evaluation \(seed (-?\d+)\): (.*)$/.exec(first);
  return seeded ? ` on seed ${seeded[1]}: ${seeded[2]}` : `: ${first}`;
}

/** The output to keep: the failure's own tail, else what its detail holds after the first line. */
function outputOf(failure: EvaluationFailure): string {
  const text = failure.outputTail.trim() !== '' ? failure.outputTail : lines(failure.detail).slice(1).join('\n');
  return text.length > OUTPUT_TAIL_CHARS ? text.slice(-OUTPUT_TAIL_CHARS) : text;
}

/**
 * Ends the search: experiments still in flight are cancelled (no node is left running without an
 * outcome), then SearchFailed. `before`: events of the same decision that come first (the GateFailed
 * that made the search fail).
 */
export function searchFailed(tree: SearchTree, ctx: SearchContext, data: SearchEventData<'SearchFailed'>, before: PendingEvent[] = []): SearchDecision {
  const cancelled: PendingEvent[] = inFlight(tree).map(({ node, experimentId, eventId: cause }) => ({
    id: eventId(ctx, 'result', experimentId),
    causationId: cause,
    event: { type: 'ExperimentFailed', data: { experimentId, nodeId: node.id, kind: 'cancelled', detail: `the search failed (${data.reason}) before this experiment reported` } },
  }));
  const failed: PendingEvent = { id: eventId(ctx, 'failed'), event: { type: 'SearchFailed', data } };
  // A log note, not a warning: the interpreter ends the run with this reason (SearchFailedError), once.
  return recorded([...before, ...cancelled, failed], [{ level: 'log', message: `search ${ctx.searchId} failed: ${data.reason}` }]);
}

/** The baseline's dev evaluation produced no score: the search cannot start. */
export function baselineFailed(tree: SearchTree, ctx: SearchContext, commit: string, failure: EvaluationFailure): SearchDecision {
  if (tree.nodes.get(ROOT_NODE_ID)?.result) throw new Error(`search ${ctx.searchId}: the baseline was already measured; its dev evaluation cannot fail now`);
  const reason = `the baseline's dev evaluation failed (${failure.kind})${conciseDetail(failure.detail)}`;
  return searchFailed(tree, ctx, { reason, evaluator: 'dev', kind: failure.kind, outputTail: outputOf(failure), nodeId: ROOT_NODE_ID, commit });
}

/** The baseline's gate evaluation produced no score (its GateFailed, if not yet recorded, comes first). */
export function gateFailedSearch(tree: SearchTree, ctx: SearchContext, commit: string, failure: EvaluationFailure, before: PendingEvent[] = []): SearchDecision {
  const reason = `the baseline's gate evaluation failed (${failure.kind})${conciseDetail(failure.detail)}`;
  return searchFailed(tree, ctx, { reason, evaluator: 'gate', kind: failure.kind, outputTail: outputOf(failure), nodeId: ROOT_NODE_ID, commit }, before);
}

/** The held-out test of the baseline or the best node produced no score: the search has no result. */
export function testFailed(tree: SearchTree, ctx: SearchContext, nodeId: NodeId, commit: string, failure: EvaluationFailure): SearchDecision {
  if (!tree.completed) throw new Error(`search ${ctx.searchId}: the held-out test runs after completion; it cannot have failed before`);
  const which = nodeId === ROOT_NODE_ID ? 'the baseline' : `the best node ${nodeId}`;
  const reason = `the held-out test of ${which} failed (${failure.kind})${conciseDetail(failure.detail)}`;
  return searchFailed(tree, ctx, { reason, evaluator: 'test', kind: failure.kind, outputTail: outputOf(failure), nodeId, commit });
}
