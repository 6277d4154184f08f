import { ROOT_NODE_ID, type NodeId } from '@hypotree/events';
import type { PendingEvent } from '@hypotree/event-store';
import { baselineGateSeeds, budgetStatus, candidateGateSeeds } from '@hypotree/policy';
import { bestVerified, frontier, type SearchTree, type TreeNode } from '@hypotree/tree';
import type { SearchContext, SearchDecision } from './model.js';
import { gateFailedSearch } from './failed.js';
import { inFlight } from './in-flight.js';
import { eventId, recorded } from './record.js';

export { inFlight };

/**
 * Completes the search: experiments still in flight are cancelled (so no node is left running
 * without an outcome; their late results are then ignored like any other), then SearchCompleted
 * names the best admitted node on held-out (gate) evidence.
 */
export function complete(tree: SearchTree, ctx: SearchContext, reason: string): SearchDecision {
  const events: PendingEvent[] = inFlight(tree).map(({ node, experimentId, eventId: cause }) => ({
    id: eventId(ctx, 'result', experimentId),
    causationId: cause,
    event: { type: 'ExperimentFailed', data: { experimentId, nodeId: node.id, kind: 'cancelled', detail: `the search stopped (${reason}) before this experiment reported` } },
  }));
  const best = bestVerified(tree) ?? tree.nodes.get(ROOT_NODE_ID)!;
  events.push({ id: eventId(ctx, 'completed'), event: { type: 'SearchCompleted', data: { reason, bestNodeId: best.id } } });
  return recorded(events, [{ level: 'log', message: `search complete: ${reason}` }]);
}

const command = (c: SearchDecision['commands'][number], notes: SearchDecision['notes'] = []): SearchDecision => ({ events: [], commands: [c], notes });

/** The dispatch of a pending node's next attempt: the event, then the message to the executors. */
function dispatch(tree: SearchTree, ctx: SearchContext, nodeId: NodeId): SearchDecision {
  const node = tree.nodes.get(nodeId)!;
  const baseCommit = tree.nodes.get(node.parentId!)!.result!.commit;
  const attempt = node.experiments.length + 1;
  const experimentId = `${nodeId}#${attempt}`;
  const { leaseMs } = ctx.settings;
  const { title, mechanism, prediction, change } = node.hypothesis!;
  return {
    events: [{ id: eventId(ctx, 'dispatched', experimentId), causationId: node.hypothesis!.eventId, event: { type: 'ExperimentDispatched', data: { experimentId, nodeId, baseCommit, attempt, leaseMs } } }],
    commands: [{ kind: 'dispatch', message: { searchId: ctx.searchId, experimentId, nodeId, attempt, baseCommit, leaseMs, hypothesis: { title, mechanism, prediction, change }, ...ctx.settings.dispatch } }],
    notes: [{ level: 'log', message: `dispatched ${experimentId}: ${title}` }],
  };
}

/** Admission of an evaluated node: ask the gate, or record the decision (and distill it). */
function decideAdmission(tree: SearchTree, ctx: SearchContext, node: TreeNode): SearchDecision {
  const decision = ctx.policies.admission.decide(tree, node.id);
  if (decision.action === 'gate') {
    if (node.gateFailure || (node.gate && decision.runs === undefined)) throw new Error(`admission asked for a second gate evaluation of ${node.id}`);
    if (node.gate) {
      // A second look: more runs with the seeds after the first look's.
      const from = Math.max(0, ...node.gate.runs.map((r) => r.seed)) + 1;
      return command({ kind: 'gate', nodeId: node.id, commit: node.result!.commit, seeds: decision.runs, from }, [{ level: 'log', message: `${node.id}: ${decision.reason}` }]);
    }
    const seeds = candidateGateSeeds(ctx.policies.admission.params);
    return command({ kind: 'gate', nodeId: node.id, commit: node.result!.commit, ...(seeds === undefined ? {} : { seeds }) });
  }
  if (decision.action === 'repeat') {
    const next = Math.max(0, ...node.result!.runs.map((r) => r.seed)) + 1;
    const seeds = Array.from({ length: decision.runs ?? 1 }, (_, i) => next + i);
    return command({ kind: 'repeat', nodeId: node.id, commit: node.result!.commit, seeds }, [{ level: 'log', message: `${node.id}: ${decision.reason}` }]);
  }
  const data = { nodeId: node.id, policy: decision.policy, rule: decision.rule, reason: decision.reason, evidence: decision.evidence, deltas: decision.deltas };
  const cause = node.gate?.eventId ?? node.gateFailure?.eventId ?? node.result!.eventId;
  return {
    events: [{ id: eventId(ctx, 'decided', node.id), causationId: cause, event: decision.action === 'admit' ? { type: 'HypothesisAdmitted', data } : { type: 'HypothesisRejected', data } }],
    commands: ctx.settings.insights ? [{ kind: 'distill', nodeId: node.id }] : [],
    notes: [{ level: 'log', message: `${node.id} ${decision.action === 'admit' ? 'admitted' : 'rejected'} (${decision.rule})` }],
  };
}

/** One executor slot: dispatch a pending node, ask for proposals, or say why nothing more can start. */
function fillSlot(tree: SearchTree, ctx: SearchContext): SearchDecision | string | undefined {
  const budget = budgetStatus(tree, ctx.now);
  const spent = `budget: the ${budget.exhausted} budget is spent`;
  if (budget.exhausted && budget.exhausted !== 'experiments') return spent;
  const selection = ctx.policies.selection.decide(tree);
  if (selection.kind === 'run') {
    // A retry after an expired lease spends no budget: the node was counted when first dispatched.
    if (budget.exhausted && tree.nodes.get(selection.nodeId)!.experiments.length === 0) return spent;
    return dispatch(tree, ctx, selection.nodeId);
  }
  if (budget.exhausted) return spent;
  if (selection.kind === 'expand') {
    const room = budget.experimentsLeft - frontier(tree).length;
    if (room <= 0) return undefined;
    return command({ kind: 'propose', parentId: selection.parentId, count: Math.min(selection.count, room) });
  }
  return `${selection.rule}: ${selection.reason}`;
}

/**
 * The next step of a search when nothing is pending, one at a time (each step's events are
 * folded before the next is decided): the final test once the search is complete; the baseline
 * and its gate; admission of an evaluated node; pruning and stopping; then filling executor slots;
 * and otherwise waiting for a report.
 */
export function advance(tree: SearchTree, ctx: SearchContext): SearchDecision {
  const root = tree.nodes.get(ROOT_NODE_ID)!;
  // A failed search is over: nothing more is measured, proposed or tested.
  if (tree.failed) return command({ kind: 'finish' });
  if (tree.completed) {
    if (tree.finalTest) return command({ kind: 'finish' });
    const best = tree.nodes.get(tree.completed.bestNodeId)!;
    const at = (n: TreeNode) => ({ nodeId: n.id, commit: n.result!.commit });
    return command({ kind: 'final-test', baseline: at(root), ...(best.id === root.id ? {} : { best: at(best) }), seeds: ctx.settings.baselineRepeats }, [
      { level: 'log', message: 'computing the held-out test score of the baseline and the best node, once' },
    ]);
  }
  if (!root.result) {
    const seeds = Array.from({ length: ctx.settings.baselineRepeats }, (_, i) => i + 1);
    const measure = { kind: 'measure-baseline' as const, commit: tree.started!.task.baseCommit, seeds };
    return command(measure, [{ level: 'log', message: 'measuring the baseline on dev' }]);
  }
  // No decision may rest on a baseline the gate could not score (every candidate would be rejected
  // as parent-not-gated): the search fails. (A search recorded before SearchFailed existed gets here on resume.)
  if (root.gateFailure) return gateFailedSearch(tree, ctx, root.result.commit, { ...root.gateFailure, outputTail: '' });
  const gateRoot = ctx.policies.admission.params.mode !== 'dev-only' && tree.started!.budget.gateEvaluations > 0;
  if (gateRoot && !root.gate && !root.gateFailure) {
    return command({ kind: 'gate', nodeId: ROOT_NODE_ID, commit: root.result.commit, seeds: baselineGateSeeds(ctx.policies.admission.params, ctx.settings.baselineRepeats) });
  }

  const undecided = [...tree.nodes.values()].find((n) => n.status === 'evaluated' && !n.decision);
  if (undecided) return decideAdmission(tree, ctx, undecided);

  const refinement = ctx.policies.refinement.decide(tree, ctx.now);
  const prune = refinement.prune[0];
  if (prune) {
    const data = { nodeId: prune.nodeId, reason: prune.reason, rule: prune.rule, policy: refinement.policy };
    return recorded([{ id: eventId(ctx, 'pruned', prune.nodeId), event: { type: 'NodePruned', data } }]);
  }
  if (refinement.stop) return complete(tree, ctx, `${refinement.stop.rule}: ${refinement.stop.reason}`);

  const busy = inFlight(tree).length;
  if (busy < tree.started!.budget.parallel) {
    const slot = fillSlot(tree, ctx);
    if (typeof slot === 'object') return slot;
    if (slot !== undefined && busy === 0) return complete(tree, ctx, slot);
  }
  return command({ kind: 'await-report' });
}
