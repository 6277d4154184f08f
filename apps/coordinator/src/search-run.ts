import type { ModelCall, NodeId, SearchEventData } from '@hypotree/events';
import type { PendingEvent, SearchLog } from '@hypotree/event-store';
import type { DispatchExperiment, DistillReply } from '@hypotree/messaging';
import type { PolicySet } from '@hypotree/policy';
import { collectModelCalls, effectiveParams, LlmReplyError, type ModelCallScope, type Proposal, type Proposer } from '@hypotree/research';
import { decide, inFlight, nextInDispatchOrder, searchSettings, searchStarted } from '@hypotree/search';
import type { ExecutorReport, GateOutcome, Measured, SearchCommand, SearchConfig, SearchContext, SearchInput, SearchSettings, TestRuns } from '@hypotree/search';
import type { Task } from '@hypotree/task';
import { fold, insightsOnPath, type SearchTree } from '@hypotree/tree';
import { SealedEvaluationError } from '@hypotree/workspace';
import { ReplayNeeds, SearchFailedError } from './errors.js';
import { DevEvaluationError, outputTail, type CoordinatorEvaluators } from './evaluators.js';
import { Inbox } from './inbox.js';
import { Leases } from './leases.js';
import { summarize, type SearchSummary } from './summary.js';

/** Proposer calls in a row without a valid reply that stop a run (one such reply only costs a warning). */
export const MAX_PROPOSAL_FAILURES = 3;

const testRuns = (measured: Measured): TestRuns => ({ runs: measured.runs, ...(measured.reusedFrom ? { reusedFrom: measured.reusedFrom } : {}) });

/** Recorded outcomes a replay reuses instead of paying again (see FamilyMemo); undefined where there is none. */
export interface RunMemo {
  dev(commit: string, seeds: number[]): Measured | undefined;
  /** `seeds`: how many (the task's repeats when undefined), from seed `from` (1 unless a second look). */
  gate(commit: string, seeds: number | undefined, from?: number): GateOutcome | undefined;
  test(commit: string, seeds: number): Measured | undefined;
  /** The recorded outcome of the experiment this dispatch would run, under its ids. */
  experiment(tree: SearchTree, dispatch: DispatchExperiment): SearchEventData<'ExperimentReused'> | undefined;
  recall: NonNullable<ModelCallScope['recall']>;
}

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
   * What the search family already paid for (a replay): each experiment, evaluation and model call
   * is taken from it when it holds one, and only otherwise run by the adapters above.
   */
  memo?: RunMemo;
  /** Experiments in flight at a restart: `wait-for-lease` (remote executors may still report) or `expire-now` (they died with us). */
  orphans?: 'wait-for-lease' | 'expire-now';
  /**
   * When a dispatch's lease starts: at once (`dispatch`: a dispatch nobody takes is lost), or with
   * its executor's first report (`start`: dispatches wait in a work queue until an executor is free).
   */
  leaseFrom?: 'dispatch' | 'start';
  /**
   * With `leaseFrom: 'start'`: whether a dispatch is still in the work queue (waiting, or taken and
   * not acked). One that is not, with no report heard, gets an ordinary lease from then: its reports
   * were lost (a broker restart) or so was the dispatch, and the lease brings it back.
   */
  stillQueued?: (dispatch: { searchId: string; experimentId: string; nodeId: string }) => Promise<boolean>;
  clock?: () => Date;
  /**
   * Stops the run: once aborted, `run()` rejects with the signal's reason at its next step, and a
   * wait for executor reports (or for a proposer or distiller) ends at once (its timer cleared), so a
   * stopped run leaves nothing pending. Nothing is recorded after the abort: an evaluation it killed
   * is never mistaken for a failed one.
   */
  signal?: AbortSignal;
  onProgress?: (tree: SearchTree, note: string) => void;
  logger?: { log(message: string): void; warn(message: string): void };
}

/**
 * One search, driven by the coordinator: the single writer of its stream, and the interpreter of
 * the pure search decider (`@hypotree/search`). It rebuilds the tree from the log (so a restart
 * resumes), then feeds the decider one input at a time, appends the events it decides (folding
 * them first, so an illegal sequence is never written) and runs the commands it asks for: the
 * baseline, proposals, dispatches, gate and test evaluations, distillation, waiting for reports.
 */
export class SearchRun {
  readonly searchId: string;
  private tree!: SearchTree;
  private readonly inbox = new Inbox<ExecutorReport>();
  /** Proposer calls in a row that gave no valid reply; at MAX_PROPOSAL_FAILURES the run stops (the search stays resumable). */
  private proposalFailures = 0;
  /** Results that arrived before a result dispatched earlier: decided in dispatch order (see nextInDispatchOrder). */
  private readonly held: Extract<ExecutorReport, { kind: 'result' | 'reused' }>[] = [];
  private readonly leases: Leases;
  private readonly now: () => Date;
  private readonly settings: SearchSettings; // the decider's, fixed for the search
  /** Experiments the transport gave up on, with its reason (see `undeliverable`). */
  private readonly undelivered = new Map<string, string>();
  private queueSaidAt = 0;
  private heldCheckedAt = 0;

  constructor(private readonly deps: SearchRunDeps, searchId: string) {
    this.searchId = searchId;
    this.now = deps.clock ?? (() => new Date());
    this.settings = searchSettings(deps.config, deps.task, deps.proposer.kind);
    this.leases = new Leases(deps.config.leaseMs);
  }

  /** Hands an executor message to the loop (its lease is refreshed on arrival); called by the controller. */
  deliver(message: ExecutorReport): void {
    if (message.message.searchId === this.searchId) {
      this.leases.refresh(message.message.experimentId, this.now().getTime(), message.kind === 'result' || message.kind === 'reused');
    }
    this.inbox.push(message);
  }

  /**
   * The transport gave up on an experiment's dispatch (the work queue dead-lettered it after its
   * executors kept going silent): its lease ends now, and it is recorded as a crash with `reason`.
   */
  undeliverable(experimentId: string, reason: string): void {
    this.undelivered.set(experimentId, reason);
    this.leases.expire(experimentId, this.now().getTime());
    this.inbox.wake();
  }

  /** The tree as the coordinator knows it now. */
  get current(): SearchTree {
    return this.tree;
  }

  /**
   * Runs (or resumes) the search to its end, the held-out test included, and returns the summary.
   * A search that failed (now, or before this resume) throws SearchFailedError instead.
   */
  async run(): Promise<SearchSummary> {
    this.tree = fold(await this.deps.log.history(this.searchId));
    if (this.tree.started) {
      this.armOrphans();
      await this.expireLeases();
      await this.settle({ kind: 'resume' });
    } else {
      await this.settle({ kind: 'start', started: searchStarted(this.searchId, { ...this.deps, sandbox: this.deps.evaluators.sandbox }) });
    }
    while (!(await this.settle({ kind: 'advance' }))) this.deps.signal?.throwIfAborted();
    if (this.tree.failed) throw new SearchFailedError(this.searchId, this.tree.failed);
    return summarize(this.tree);
  }

  // Experiments in flight when the previous coordinator stopped get a fresh lease from now, or
  // expire at once when their executors are known to be gone; either way they are re-dispatched.
  private armOrphans(): void {
    const now = this.now().getTime();
    const deadline = this.deps.orphans === 'expire-now' ? now : now + this.deps.config.leaseMs;
    for (const { experimentId } of inFlight(this.tree)) this.leases.arm(experimentId, deadline);
  }

  /** Decides on one input, appends its events, then runs its commands in order; true once the search is finished. */
  private async settle(input: SearchInput): Promise<boolean> {
    this.deps.signal?.throwIfAborted();
    const context: SearchContext = {
      searchId: this.searchId,
      policies: this.deps.policies,
      settings: this.settings,
      now: this.now(),
    };
    const decision = decide(this.tree, input, context);
    for (const note of decision.notes) this.deps.logger?.[note.level](note.message);
    await this.append(decision.events);
    for (const command of decision.commands) if (await this.execute(command)) return true;
    return false;
  }

  /** Runs one command; its outcome is decided on as the next input. True when the command is `finish`. */
  private async execute(command: SearchCommand): Promise<boolean> {
    const { deps } = this;
    switch (command.kind) {
      case 'measure-baseline': {
        const reused = deps.memo?.dev(command.commit, command.seeds);
        if (reused) return this.settle({ kind: 'baseline-measured', commit: command.commit, measured: reused });
        const measured = await deps.evaluators.dev(command.commit, command.seeds).catch((error: unknown) => {
          if (error instanceof DevEvaluationError) return error;
          throw error;
        });
        if (measured instanceof DevEvaluationError) {
          const failure = { kind: measured.kind, detail: measured.detail, outputTail: measured.outputTail };
          return this.settle({ kind: 'baseline-failed', commit: command.commit, failure });
        }
        return this.settle({ kind: 'baseline-measured', commit: command.commit, measured });
      }
      case 'repeat': {
        const measured = deps.memo?.dev(command.commit, command.seeds) ?? (await deps.evaluators.dev(command.commit, command.seeds));
        return this.settle({ kind: 'repeated', nodeId: command.nodeId, commit: command.commit, measured });
      }
      case 'propose': {
        const space = deps.task.spec.parameters?.space ?? [];
        const insights = deps.config.research.insights ? insightsOnPath(this.tree, command.parentId) : [];
        const parentParams = effectiveParams(this.tree, command.parentId, space);
        const request = { tree: this.tree, task: deps.task, parentId: command.parentId, count: command.count, insights, parentParams };
        const asked = await this.propose(collectModelCalls(() => deps.proposer.propose(request), deps.memo?.recall));
        return asked === undefined ? false : this.settle({ kind: 'proposed', parentId: command.parentId, proposals: asked.value, modelCalls: asked.calls });
      }
      case 'dispatch': {
        if (this.deps.leaseFrom === 'start') this.leases.hold(command.message.experimentId);
        else this.leases.arm(command.message.experimentId, this.now().getTime() + command.message.leaseMs);
        const reused = deps.memo?.experiment(this.tree, command.message);
        const { searchId, experimentId, nodeId } = command.message;
        if (reused) this.deliver({ kind: 'reused', message: { searchId, experimentId, nodeId }, reused });
        else await deps.dispatch(command.message);
        return false;
      }
      case 'gate': {
        const outcome = deps.memo?.gate(command.commit, command.seeds, command.from) ?? (await this.gate(command.commit, command.seeds, command.from));
        return this.settle({ kind: 'gated', nodeId: command.nodeId, commit: command.commit, outcome });
      }
      case 'distill':
        return this.distill(command.nodeId);
      case 'await-report':
        return this.awaitReport();
      case 'final-test': {
        const baseline = await this.test(command.baseline, command.seeds);
        if (!('runs' in baseline)) return this.settle(baseline);
        const best = command.best === undefined ? baseline : await this.test(command.best, command.seeds);
        if (!('runs' in best)) return this.settle(best);
        return this.settle({ kind: 'tested', baseline: testRuns(baseline), best: testRuns(best) });
      }
      case 'finish':
        return true;
      default: {
        const never: never = command;
        throw new Error(`unknown search command ${JSON.stringify(never)}`);
      }
    }
  }

  // Every gate call is an event and counts against the gate budget, whether it scored or failed.
  private async gate(commit: string, seeds?: number, from?: number): Promise<GateOutcome> {
    try {
      return { ok: true, ...(await this.deps.evaluators.sealed(commit, 'gate', seeds, from)) };
    } catch (error) {
      if (!(error instanceof SealedEvaluationError)) throw error;
      return { ok: false, kind: error.kind, detail: error.message, outputTail: outputTail(error.stdoutTail, error.stderrTail), sandbox: error.sandbox, evaluatorHash: error.evaluatorHash };
    }
  }

  // The held-out test of one node: its runs, or the input that records why there are none.
  private async test(at: { nodeId: NodeId; commit: string }, seeds: number): Promise<Measured | Extract<SearchInput, { kind: 'test-failed' }>> {
    const reused = this.deps.memo?.test(at.commit, seeds);
    if (reused) return reused;
    try {
      return await this.deps.evaluators.sealed(at.commit, 'test', seeds);
    } catch (error) {
      if (!(error instanceof SealedEvaluationError)) throw error;
      const failure = { kind: error.kind, detail: error.message, outputTail: outputTail(error.stdoutTail, error.stderrTail) };
      return { kind: 'test-failed', nodeId: at.nodeId, commit: at.commit, failure };
    }
  }

  /**
   * A proposer's answer, or undefined when a model gave no valid reply even after its retry: a
   * warning, and the search goes on (the next step asks again). Only MAX_PROPOSAL_FAILURES in a row
   * stop the run, with the last reason; the search stays open, and resumes from its log.
   */
  private async propose(asked: Promise<{ value: Proposal[]; calls: ModelCall[] }>): Promise<{ value: Proposal[]; calls: ModelCall[] } | undefined> {
    try {
      const proposals = await this.unlessAborted(asked);
      this.proposalFailures = 0;
      return proposals;
    } catch (error) {
      if (!(error instanceof LlmReplyError)) throw error;
      this.proposalFailures += 1;
      if (this.proposalFailures >= MAX_PROPOSAL_FAILURES) {
        throw new Error(`the ${this.deps.proposer.kind} proposer gave no valid reply ${this.proposalFailures} times in a row; the last: ${error.message}`, { cause: error });
      }
      this.deps.logger?.warn(`${error.message} The search goes on (${this.proposalFailures} such reply in a row; it stops at ${MAX_PROPOSAL_FAILURES}).`);
      return undefined;
    }
  }

  /** A promise, or the abort of the run's signal, whichever comes first (a model call can take minutes). */
  private unlessAborted<T>(promise: Promise<T>): Promise<T> {
    const { signal } = this.deps;
    if (!signal) return promise;
    signal.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async distill(nodeId: NodeId): Promise<boolean> {
    let reply: DistillReply;
    try {
      reply = await this.unlessAborted(this.deps.distill({ searchId: this.searchId, nodeId, revision: this.tree.revision }));
    } catch (error) {
      if (this.deps.signal?.aborted) throw this.deps.signal.reason;
      if (error instanceof ReplayNeeds) throw error; // a replay stops where its memo ends, it does not go on without the lesson
      return this.settle({ kind: 'distill-failed', nodeId, reason: (error as Error).message });
    }
    return this.settle({ kind: 'distilled', nodeId, drafts: reply.drafts, modelCalls: reply.modelCalls });
  }

  /**
   * Records the next executor report (waiting for one, or for the next lease to run out), then any
   * expired leases. Results are decided in dispatch order: one that arrives before a result
   * dispatched earlier is held back until its turn, and is then decided like any other, one per
   * call, so the search decides between results exactly as if they had arrived in that order.
   */
  private async awaitReport(): Promise<boolean> {
    if (this.releaseNext()) return this.settle({ kind: 'reported', report: this.releaseNext(true)! });
    if (this.leases.size === 0) throw new Error(`search ${this.searchId}: nothing is in flight and nothing can start, yet the search is not complete`);
    const checkEvery = this.heldCheckEveryMs();
    const message = await this.inbox.next(this.leases.msUntilNext(this.now().getTime(), 10, checkEvery), this.deps.signal);
    await this.checkHeld(checkEvery);
    if (message?.kind === 'result' || message?.kind === 'reused') this.held.push(message);
    else if (message && (await this.settle({ kind: 'reported', report: message }))) return true;
    if (this.releaseNext()) return this.settle({ kind: 'reported', report: this.releaseNext(true)! });
    if (!message) this.sayWhatWaits();
    return this.expireLeases();
  }

  // How often held dispatches are looked up in the work queue: four times per lease.
  private heldCheckEveryMs(): number {
    return this.leases.held > 0 && this.deps.stillQueued ? Math.max(250, Math.floor(this.deps.config.leaseMs / 4)) : 60_000;
  }

  // A held dispatch that left the work queue with no report heard gets an ordinary lease from now.
  private async checkHeld(every: number): Promise<void> {
    const { stillQueued } = this.deps;
    const now = this.now().getTime();
    if (!stillQueued || this.leases.held === 0 || now - this.heldCheckedAt < every) return;
    this.heldCheckedAt = now;
    for (const experimentId of this.leases.heldIds()) {
      const nodeId = this.tree.experiments.get(experimentId);
      if (nodeId === undefined) continue;
      const queued = await stillQueued({ searchId: this.searchId, experimentId, nodeId }).catch((error: unknown) => {
        this.deps.logger?.warn(`could not look up ${experimentId} in the work queue: ${(error as Error).message}`);
        return true;
      });
      if (!queued && this.leases.heldIds().includes(experimentId)) {
        this.deps.logger?.warn(`${experimentId} left the work queue but no executor reported on it; its lease (${this.deps.config.leaseMs} ms) starts now`);
        this.leases.arm(experimentId, now + this.deps.config.leaseMs);
      }
    }
  }

  // Dispatches in a work queue wait for an executor as long as it takes: say so once a minute.
  private sayWhatWaits(): void {
    const now = this.now().getTime();
    if (this.leases.held === 0 || now - this.queueSaidAt < 60_000) return;
    if (this.queueSaidAt > 0) this.deps.logger?.warn(`${this.leases.held} dispatch(es) of search ${this.searchId} wait in the work queue for an executor`);
    this.queueSaidAt = now;
  }

  // The held result whose turn has come, if any (taken out of the hold when `take`).
  private releaseNext(take = false): Extract<ExecutorReport, { kind: 'result' | 'reused' }> | undefined {
    const next = nextInDispatchOrder(this.tree, this.held);
    if (next && take) this.held.splice(this.held.indexOf(next), 1);
    return next;
  }

  private async expireLeases(): Promise<boolean> {
    const expired = this.leases.expired(this.now().getTime());
    if (expired.length === 0) return false;
    const undeliverable = Object.fromEntries(expired.filter((id) => this.undelivered.has(id)).map((id) => [id, this.undelivered.get(id)!]));
    return this.settle({ kind: 'leases-expired', experimentIds: expired, ...(Object.keys(undeliverable).length > 0 ? { undeliverable } : {}) });
  }

  /** Folds the events onto the tree first (an illegal sequence throws and is never written), then appends them. */
  private async append(pending: PendingEvent[]): Promise<void> {
    if (pending.length === 0) return;
    const batch = this.deps.log.prepare(this.searchId, this.tree.revision, pending, this.now());
    const next = fold(batch.recorded, this.tree);
    await this.deps.log.write(batch);
    this.tree = next;
    const flying = new Set(inFlight(next).map((f) => f.experimentId));
    for (const id of this.leases.ids()) if (!flying.has(id)) this.leases.release(id);
    this.deps.onProgress?.(this.tree, batch.recorded.map((e) => e.type).join(', '));
  }
}
