import { ROOT_NODE_ID } from '@hypotree/events';
import type { SearchTree } from '@hypotree/tree';
import { advance } from './advance.js';
import { baselineFailed, gateFailedSearch, testFailed } from './failed.js';
import type { SearchContext, SearchDecision, SearchInput } from './model.js';
import { baselineMeasured, distilled, eventId, gated, leasesExpired, modelCalled, proposed, recorded, repeated, reported, tested } from './record.js';

/**
 * The search as a pure decider: what the coordinator records and does next, given the tree (the
 * projection of the log so far) and one input. No I/O, no clock but `ctx.now`, no ids but the
 * deterministic ones: the same tree and input always give the same decision, which is what makes
 * a search replayable and every decision specifiable on its own.
 */
export function decide(tree: SearchTree, input: SearchInput, ctx: SearchContext): SearchDecision {
  switch (input.kind) {
    case 'start':
      if (tree.started) throw new Error(`search ${ctx.searchId} has already started`);
      return recorded([{ id: eventId(ctx, 'started'), event: input.started }]);
    case 'resume': {
      // The interpreter ends the run with the failure (SearchFailedError); this is the log's note of it.
      if (tree.failed) return recorded([], [{ level: 'log', message: `search ${ctx.searchId} failed: ${tree.failed.reason}; it cannot be resumed` }]);
      const notes = [{ level: 'log' as const, message: `resuming search ${ctx.searchId} at revision ${tree.revision}` }];
      const pending = tree.awaitingDistillation;
      // Insight ids are deterministic: lessons already written before the stop are not written twice.
      const distill = pending !== undefined && ctx.settings.insights && !tree.completed;
      return { events: [], commands: distill ? [{ kind: 'distill', nodeId: pending }] : [], notes };
    }
    case 'advance':
      return advance(tree, ctx);
    case 'baseline-measured':
      return baselineMeasured(ctx, input.commit, input.measured);
    case 'baseline-failed':
      return baselineFailed(tree, ctx, input.commit, input.failure);
    case 'proposed': {
      const calls = modelCalled(tree, ctx, input.parentId, input.modelCalls);
      if (input.proposals.length > 0) {
        const decision = proposed(tree, ctx, input.parentId, input.proposals);
        return { ...decision, events: [...calls, ...decision.events] };
      }
      // Only this node is done: the search goes on while any other admitted node can be expanded.
      const data = { nodeId: input.parentId, proposer: ctx.settings.proposerKind, reason: `the ${ctx.settings.proposerKind} proposer had nothing new under ${input.parentId}` };
      return recorded([...calls, { id: eventId(ctx, 'exhausted', input.parentId), event: { type: 'ExpansionExhausted', data } }], [{ level: 'log', message: data.reason }]);
    }
    case 'reported':
      return reported(tree, ctx, input.report);
    case 'gated': {
      const decision = gated(tree, ctx, input.nodeId, input.commit, input.outcome);
      if (input.outcome.ok || input.nodeId !== ROOT_NODE_ID) return decision;
      // The baseline's gate call is recorded (it counts), then the search fails: nothing can be verified against it.
      return gateFailedSearch(tree, ctx, input.commit, { ...input.outcome, outputTail: input.outcome.outputTail ?? '' }, decision.events);
    }
    case 'repeated':
      return repeated(ctx, input.nodeId, input.commit, input.measured);
    case 'distilled':
      return distilled(tree, ctx, input.nodeId, input.drafts, input.modelCalls);
    case 'distill-failed': {
      const data = { nodeId: input.nodeId, reason: input.reason };
      const note = { level: 'warn' as const, message: `distiller failed after ${input.nodeId}: ${input.reason}; the search goes on without new insights` };
      return recorded([{ id: eventId(ctx, 'distill-failed', input.nodeId, String(tree.revision)), event: { type: 'DistillationFailed', data } }], [note]);
    }
    case 'leases-expired':
      return leasesExpired(tree, ctx, input.experimentIds, input.undeliverable);
    case 'tested':
      return tested(tree, ctx, input.baseline, input.best);
    case 'test-failed':
      return testFailed(tree, ctx, input.nodeId, input.commit, input.failure);
    default: {
      const never: never = input;
      throw new Error(`unknown search input ${JSON.stringify(never)}`);
    }
  }
}
