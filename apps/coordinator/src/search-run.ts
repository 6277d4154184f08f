import {
  deterministicEventId,
  ROOT_NODE_ID,
  type Integrity,
  type SandboxKind,
  type NodeId,
  type RecordedSearchEvent,
  type SearchEvent,
} from '@hypotree/events';
import type { PendingEvent, SearchLog } from '@hypotree/event-store';
import { SealedEvaluationError } from '@hypotree/workspace';
import type { DispatchExperiment, DistillReply, ExperimentResultMessage, ExperimentStartedMessage } from '@hypotree/messaging';
import { budgetStatus, type PolicySet } from '@hypotree/policy';
import type { Proposer } from '@hypotree/research';
import { effectiveParams } from '@hypotree/research';
import type { Task } from '@hypotree/task';
import { fold, frontier, insightsOnPath, relativeGain, bestAdmitted, type SearchTree } from '@hypotree/tree';
import type { SearchConfig } from './config.js';
import type { CoordinatorEvaluators } from './evaluators.js';
import { Inbox } from './inbox.js';
import { Leases } from './leases.js';
import { insightEvents } from './insight-events.js';
import { resultEvent } from './result-event.js';
import { searchStarted } from './search-started.js';
import { summarize, type SearchSummary } from './summary.js';

/** A message from an executor, as the coordinator's controller hands it over (already validated). */
export type ExecutorMessage =
  | { kind: 'started'; message: ExperimentStartedMessage }
  | { kind: 'heartbeat'; message: ExperimentStartedMessage }
  | { kind: 'result'; message: ExperimentResultMessage };

/** What one search run talks to; every piece is an adapter chosen by the embedded or distributed wiring. */
export interface SearchRunDeps {
  log: SearchLog;
  task: Task;
  baseCommit: string;
  config: SearchConfig;
  policies: PolicySet;
  proposer: Proposer;
  evaluators: CoordinatorEvaluators;
  dispatch(command: DispatchExperiment): Promise<void>;
  distill(request: { searchId: string; nodeId: NodeId; revision: number }): Promise<DistillReply>;
  /**
   * What a resumed search does with experiments that were in flight when the previous coordinator
   * stopped: `wait-for-lease` (distributed: their executors may still report) or `expire-now`
   * (embedded: the executors lived in the dead process).
   */
  orphans?: 'wait-for-lease' | 'expire-now';
  clock?: () => Date;
  onProgress?: (tree: SearchTree, note: string) => void;
  logger?: { log(message: string): void; warn(message: string): void };
}

/**
 * One search, driven by the coordinator: the single writer of its stream. It rebuilds the tree
 * from the log on start (so a restart resumes), then loops: refine → fill executor slots →
 * take one executor message → record it → decide admission → distill, until a policy stops it;
 * then the held-out test, exactly once.
 */
export class SearchRun {
  readonly searchId: string;
  private tree!: SearchTree;
  private readonly inbox = new Inbox<ExecutorMessage>();
  private readonly leases: Leases;
  private readonly now: () => Date;
  /** A decision the previous coordinator recorded but did not get to distill before it stopped. */
  private undistilled?: NodeId;

  constructor(private readonly deps: SearchRunDeps, searchId: string) {
    this.searchId = searchId;
    this.now = deps.clock ?? (() => new Date());
    this.leases = new Leases(deps.config.leaseMs);
  }

  /** Hands an executor message to the loop (its lease is refreshed on arrival); called by the controller. */
  deliver(message: ExecutorMessage): void {
    if (message.message.searchId === this.searchId) {
      this.leases.refresh(message.message.experimentId, this.now().getTime(), message.kind === 'result');
    }
    this.inbox.push(message);
  }

  /** The tree as the coordinator knows it now. */
  get current(): SearchTree {
    return this.tree;
  }

  /** Runs (or resumes) the search to its end and returns the summary. */
  async run(): Promise<SearchSummary> {
    await this.startOrResume();
    await this.expireLeases();
    if (!this.tree.completed) {
      await this.measureBaseline();
      const reason = await this.loop();
      await this.cancelInFlight(reason);
      const best = bestAdmitted(this.tree) ?? this.tree.nodes.get(ROOT_NODE_ID)!;
      await this.append([{ id: this.eventId('completed'), event: { type: 'SearchCompleted', data: { reason, bestNodeId: best.id } } }]);
    }
    if (!this.tree.finalTest) await this.finalTest();
    return summarize(this.tree);
  }

  private async startOrResume(): Promise<void> {
    const history = await this.deps.log.history(this.searchId);
    this.tree = fold(history);
    if (this.tree.started) {
      this.note(`resuming search ${this.searchId} at revision ${this.tree.revision}`);
      this.expireOrphanedExperiments();
      this.undistilled = lastUndistilledDecision(history);
      return;
    }
    await this.append([{ id: this.eventId('started'), event: searchStarted(this.searchId, this.deps) }]);
  }

  // Experiments in flight when the previous coordinator stopped get a fresh lease from now, or
  // expire at once when their executors are known to be gone; either way they are re-dispatched.
  private expireOrphanedExperiments(): void {
    const now = this.now().getTime();
    const deadline = this.deps.orphans === 'expire-now' ? now : now + this.deps.config.leaseMs;
    for (const node of this.tree.nodes.values()) {
      for (const attempt of node.experiments) {
        if (attempt.state === 'dispatched' || attempt.state === 'started') this.leases.arm(attempt.experimentId, deadline);
      }
    }
  }

  private async measureBaseline(): Promise<void> {
    const root = this.tree.nodes.get(ROOT_NODE_ID)!;
    if (!root.result) {
      this.note('measuring the baseline on dev');
      const { runs, sandbox, evaluatorHash } = await this.deps.evaluators.baselineDev(this.deps.baseCommit);
      const data = { nodeId: ROOT_NODE_ID, commit: this.deps.baseCommit, runs, integrity: this.integrity(sandbox, evaluatorHash) };
      await this.append([{ id: this.eventId('baseline'), event: { type: 'BaselineMeasured', data } }]);
    }
    const measured = this.tree.nodes.get(ROOT_NODE_ID)!;
    if (!measured.gate && this.deps.config.policies.admission?.mode !== 'dev-only' && this.tree.started!.budget.gateEvaluations > 0) {
      await this.gate(ROOT_NODE_ID);
    }
  }

  private async loop(): Promise<string> {
    if (this.undistilled && !this.tree.completed) await this.distill(this.undistilled);
    for (;;) {
      await this.settleUndecided();
      const refinement = this.deps.policies.refinement.decide(this.tree, this.now());
      for (const prune of refinement.prune) {
        const event: SearchEvent = { type: 'NodePruned', data: { nodeId: prune.nodeId, reason: prune.reason, rule: prune.rule, policy: refinement.policy } };
        await this.append([{ id: this.eventId('pruned', prune.nodeId), event }]);
      }
      if (refinement.stop) return `${refinement.stop.rule}: ${refinement.stop.reason}`;
      const idle = await this.fillSlots();
      if (this.inFlight() === 0) {
        if (idle) return idle;
        continue;
      }
      const message = await this.inbox.next(this.leases.msUntilNext(this.now().getTime()));
      if (message) await this.handle(message);
      await this.expireLeases();
    }
  }

  /** Dispatches or proposes until every slot is busy; returns why nothing more can start, if so. */
  private async fillSlots(): Promise<string | undefined> {
    const { config, policies } = this.deps;
    while (this.inFlight() < config.budget.parallel) {
      const budget = budgetStatus(this.tree, this.now());
      const spent = `budget: the ${budget.exhausted} budget is spent`;
      if (budget.exhausted && budget.exhausted !== 'experiments') return spent;
      const decision = policies.selection.decide(this.tree);
      if (decision.kind === 'run') {
        // A retry after an expired lease spends no budget: the node was counted when first dispatched.
        if (budget.exhausted && this.tree.nodes.get(decision.nodeId)!.experiments.length === 0) return spent;
        await this.dispatch(decision.nodeId);
      } else if (budget.exhausted) {
        return spent;
      } else if (decision.kind === 'expand') {
        const room = budget.experimentsLeft - frontier(this.tree).length;
        if (room <= 0) return undefined;
        const added = await this.propose(decision.parentId, Math.min(decision.count, room));
        if (added === 0) return `proposer-exhausted: the ${this.deps.proposer.kind} proposer had nothing new under ${decision.parentId}`;
      } else {
        return `${decision.rule}: ${decision.reason}`;
      }
    }
    return undefined;
  }

  private async propose(parentId: NodeId, count: number): Promise<number> {
    const { task, config, proposer } = this.deps;
    const space = task.spec.parameters?.space ?? [];
    const insights = config.research.insights ? insightsOnPath(this.tree, parentId) : [];
    const proposals = await proposer.propose({
      tree: this.tree,
      task,
      parentId,
      count,
      insights,
      parentParams: effectiveParams(this.tree, parentId, space),
    });
    const parent = this.tree.nodes.get(parentId)!;
    const pending: PendingEvent[] = proposals.map((p, i) => {
      const nodeId = parentId === ROOT_NODE_ID ? String(parent.children.length + i + 1) : `${parentId}.${parent.children.length + i + 1}`;
      const event: SearchEvent = { type: 'HypothesisProposed', data: { nodeId, parentId, ...p } };
      return { id: this.eventId('proposed', nodeId), event };
    });
    await this.append(pending);
    return pending.length;
  }

  private async dispatch(nodeId: NodeId): Promise<void> {
    const node = this.tree.nodes.get(nodeId)!;
    const parent = this.tree.nodes.get(node.parentId!)!;
    const attempt = node.experiments.length + 1;
    const experimentId = `${nodeId}#${attempt}`;
    const { config, task } = this.deps;
    const baseCommit = parent.result!.commit;
    const data = { experimentId, nodeId, baseCommit, attempt, leaseMs: config.leaseMs };
    await this.append([{ id: this.eventId('dispatched', experimentId), causationId: node.hypothesis!.eventId, event: { type: 'ExperimentDispatched', data } }]);
    this.leases.arm(experimentId, this.now().getTime() + config.leaseMs);
    const { title, mechanism, prediction, change } = node.hypothesis!;
    await this.deps.dispatch({
      searchId: this.searchId,
      experimentId,
      nodeId,
      attempt,
      baseCommit,
      leaseMs: config.leaseMs,
      taskSpec: task.specPath,
      workdir: config.workdir,
      hypothesis: { title, mechanism, prediction, change },
      implementer: config.research.implementer,
      allowUnsandboxed: config.allowUnsandboxed,
    });
    this.note(`dispatched ${experimentId}: ${title}`);
  }

  private inFlight(): number {
    return this.leases.size;
  }

  private async handle(message: ExecutorMessage): Promise<void> {
    const { experimentId, nodeId, searchId } = message.message;
    const attempt = this.tree.nodes.get(nodeId)?.experiments.find((e) => e.experimentId === experimentId);
    if (searchId !== this.searchId || !attempt) {
      this.deps.logger?.warn(`ignored ${message.kind} for unknown experiment ${experimentId} of search ${searchId}`);
      return;
    }
    if (!this.leases.has(experimentId)) {
      // A late or duplicate message: the experiment already finished or its lease expired. Recorded once.
      this.deps.logger?.warn(`ignored late ${message.kind} for ${experimentId} (${attempt.state}); a result is recorded once`);
      return;
    }
    if (message.kind === 'heartbeat') return;
    if (message.kind === 'started') {
      if (attempt.state === 'dispatched') {
        const data = { experimentId, nodeId, executorId: message.message.executorId };
        await this.append([{ id: this.eventId('started', experimentId), causationId: attempt.eventId, event: { type: 'ExperimentStarted', data } }]);
      }
      return;
    }
    const event = resultEvent(message.message);
    await this.append([{ id: this.eventId('result', experimentId), causationId: attempt.eventId, event }]);
    this.leases.release(experimentId);
    this.note(`${experimentId} ${event.type === 'ExperimentSucceeded' ? 'succeeded' : 'failed'}`);
    await this.settleUndecided();
  }

  /** Decides every evaluated node that has no decision yet (after a result, or after a restart). */
  private async settleUndecided(): Promise<void> {
    for (const node of [...this.tree.nodes.values()]) {
      if (node.status === 'evaluated' && !node.decision) await this.admit(node.id);
    }
  }

  private async admit(nodeId: NodeId): Promise<void> {
    const { admission } = this.deps.policies;
    let decision = admission.decide(this.tree, nodeId);
    if (decision.action === 'gate') {
      await this.gate(nodeId);
      decision = admission.decide(this.tree, nodeId);
    }
    if (decision.action === 'gate') throw new Error(`admission asked for a second gate evaluation of ${nodeId}`);
    const data = { nodeId, policy: decision.policy, rule: decision.rule, reason: decision.reason, evidence: decision.evidence, deltas: decision.deltas };
    const event: SearchEvent = decision.action === 'admit' ? { type: 'HypothesisAdmitted', data } : { type: 'HypothesisRejected', data };
    const node = this.tree.nodes.get(nodeId)!;
    await this.append([{ id: this.eventId('decided', nodeId), causationId: node.gate?.eventId ?? node.gateFailure?.eventId ?? node.result!.eventId, event }]);
    this.note(`${nodeId} ${decision.action === 'admit' ? 'admitted' : 'rejected'} (${decision.rule})`);
    await this.distill(nodeId);
  }

  // Every gate call is an event and counts against the gate budget, whether it scored or failed.
  private async gate(nodeId: NodeId): Promise<void> {
    const node = this.tree.nodes.get(nodeId)!;
    const commit = node.result!.commit;
    const gateEvaluationsUsed = this.tree.gateEvaluationsUsed + 1;
    let event: SearchEvent;
    try {
      const { runs, sandbox, evaluatorHash } = await this.deps.evaluators.sealed(commit, 'gate');
      event = { type: 'GateEvaluated', data: { nodeId, commit, runs, gateEvaluationsUsed, integrity: this.integrity(sandbox, evaluatorHash) } };
    } catch (error) {
      if (!(error instanceof SealedEvaluationError)) throw error;
      event = { type: 'GateFailed', data: { nodeId, commit, kind: error.kind, detail: error.message, gateEvaluationsUsed, integrity: this.integrity(error.sandbox, error.evaluatorHash) } };
      this.deps.logger?.warn(`the gate evaluation of ${nodeId} failed: ${error.message}`);
    }
    await this.append([{ id: this.eventId('gate', gateEvaluationsUsed), causationId: node.result!.eventId, event }]);
  }

  private async distill(nodeId: NodeId): Promise<void> {
    if (!this.deps.config.research.insights) return;
    let reply: DistillReply;
    try {
      reply = await this.deps.distill({ searchId: this.searchId, nodeId, revision: this.tree.revision });
    } catch (error) {
      this.deps.logger?.warn(`distiller failed after ${nodeId}: ${(error as Error).message}; the search goes on without new insights`);
      return;
    }
    const cause = this.tree.nodes.get(nodeId)!.decision?.eventId;
    const pending = insightEvents(this.tree, reply.drafts, {
      id: (...key) => this.eventId(...key),
      cause,
      refusal: (events) => {
        try {
          fold(this.deps.log.prepare(this.searchId, this.tree.revision, events).recorded, this.tree);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
      warn: (message) => this.deps.logger?.warn(message),
    });
    await this.append(pending);
  }

  private async expireLeases(): Promise<void> {
    for (const experimentId of this.leases.expired(this.now().getTime())) {
      const nodeId = this.tree.experiments.get(experimentId)!;
      const attempt = this.tree.nodes.get(nodeId)!.experiments.find((e) => e.experimentId === experimentId)!;
      const final = attempt.attempt >= this.deps.config.maxAttempts;
      const data = final
        ? { experimentId, nodeId, kind: 'crash' as const, detail: `lease expired on ${attempt.attempt} attempts; no executor reported a result` }
        : { experimentId, nodeId, kind: 'lease-expired' as const, detail: `no word from an executor for ${this.deps.config.leaseMs} ms; re-dispatching` };
      await this.append([{ id: this.eventId('result', experimentId), causationId: attempt.eventId, event: { type: 'ExperimentFailed', data } }]);
      this.leases.release(experimentId);
      this.note(`${experimentId} ${data.kind}`);
    }
  }

  // A search stopped by its wall-clock or token budget closes the experiments still in flight, so no
  // node is left running without an outcome; their late results are then ignored like any other.
  private async cancelInFlight(reason: string): Promise<void> {
    for (const experimentId of this.leases.ids()) {
      const nodeId = this.tree.experiments.get(experimentId)!;
      const attempt = this.tree.nodes.get(nodeId)!.experiments.find((e) => e.experimentId === experimentId)!;
      const data = { experimentId, nodeId, kind: 'cancelled' as const, detail: `the search stopped (${reason}) before this experiment reported` };
      await this.append([{ id: this.eventId('result', experimentId), causationId: attempt.eventId, event: { type: 'ExperimentFailed', data } }]);
      this.leases.release(experimentId);
    }
  }

  private async finalTest(): Promise<void> {
    const best = this.tree.nodes.get(this.tree.completed!.bestNodeId)!;
    const root = this.tree.nodes.get(ROOT_NODE_ID)!;
    this.note('computing the held-out test score of the baseline and the best node, once');
    const baselineRuns = (await this.deps.evaluators.sealed(root.result!.commit, 'test')).runs;
    const mean = (runs: { value: number }[]) => runs.reduce((a, r) => a + r.value, 0) / runs.length;
    const baselineTest = mean(baselineRuns);
    const bestTest = best.id === root.id ? baselineTest : mean((await this.deps.evaluators.sealed(best.result!.commit, 'test')).runs);
    const direction = this.tree.objective!.direction;
    const data = {
      baseline: { nodeId: root.id, commit: root.result!.commit, value: baselineTest },
      best: { nodeId: best.id, commit: best.result!.commit, value: bestTest },
      relativeGain: relativeGain(bestTest, baselineTest, direction),
      gateEvaluations: this.tree.gateEvaluationsUsed,
    };
    await this.append([{ id: this.eventId('final-test'), event: { type: 'FinalTestEvaluated', data } }]);
  }

  /** Folds the events onto the tree first (an illegal sequence throws and is never written), then appends them. */
  private async append(pending: PendingEvent[]): Promise<RecordedSearchEvent[]> {
    if (pending.length === 0) return [];
    const batch = this.deps.log.prepare(this.searchId, this.tree.revision, pending);
    const next = fold(batch.recorded, this.tree);
    await this.deps.log.write(batch);
    this.tree = next;
    this.deps.onProgress?.(this.tree, batch.recorded.map((e) => e.type).join(', '));
    return batch.recorded;
  }

  /** The integrity record of an evaluation the coordinator ran itself. */
  private integrity(sandbox: SandboxKind, evaluatorHash = this.deps.task.evaluatorHash): Integrity {
    return { sandbox, specHash: this.deps.task.hash, evaluatorHash };
  }

  private eventId(...key: (string | number)[]): string {
    return deterministicEventId(this.searchId, ...key);
  }

  private note(message: string): void {
    this.deps.logger?.log(message);
  }
}

// The node of the last decision in the log, when no insight event follows it: the coordinator
// stopped between deciding and distilling, so a resume distills it (insight ids are deterministic,
// so lessons already written are not written twice).
function lastUndistilledDecision(history: RecordedSearchEvent[]): NodeId | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i]!;
    if (event.type === 'InsightDistilled' || event.type === 'InsightSuperseded') return undefined;
    if (event.type === 'HypothesisAdmitted' || event.type === 'HypothesisRejected') return event.data.nodeId;
  }
  return undefined;
}
