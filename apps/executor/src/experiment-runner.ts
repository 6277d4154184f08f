import path from 'node:path';
import {
  commitObjectName, MessageRejectedError, Patterns, type ArtifactStore, type DispatchExperiment, type ExperimentEvidence, type ExperimentResultMessage, type ExperimentStartedMessage,
} from '@hypotree/messaging';
import { loadTask, type Task } from '@hypotree/task';
import { bundleCommit, hasCommit, importCommit, localArtifact, prepareArtifact, runExperiment, unpackTask, type ArtifactRepo } from '@hypotree/workspace';
import { implementerFor } from './implementers.js';

/** Where an executor reports to: the coordinator, over whichever transport the wiring chose. */
export interface ExecutorReports {
  started(message: ExperimentStartedMessage): Promise<void>;
  heartbeat(message: ExperimentStartedMessage): Promise<void>;
  result(message: ExperimentResultMessage): Promise<void>;
}

/**
 * How a dispatch from the JetStream work queue is held while it runs: `working()` keeps it for this
 * executor, `ack()` once its result is reported, `nak()` gives it back (this executor stops).
 */
export interface Delivery {
  /** Which delivery of the dispatch this is (1 the first time). */
  count: number;
  /** How often to call `working()`. */
  workingEveryMs: number;
  working(): void;
  ack(): void;
  nak(): void;
}

/**
 * Where an executor without the coordinator's filesystem keeps tasks that travel as bundles, and
 * the object store they travel through.
 */
export interface BundleSite {
  /** This executor's own folder: task copies, local repositories and worktrees. */
  workdir: string;
  artifacts: () => Promise<ArtifactStore>;
}

/**
 * Runs the experiments this executor takes, at most `capacity` at a time (others wait their turn
 * here, unstarted, so their lease runs out and the coordinator re-dispatches them if this executor
 * stalls). Reports started, heartbeats (a third of the lease) and the evidence. When the service
 * shuts down, running experiments are aborted (their processes killed, their worktrees removed)
 * and nothing more is reported: their leases run out, and the coordinator re-dispatches them.
 */
export class ExperimentRunner {
  private running = 0;
  private readonly stopping = new AbortController();
  private readonly active = new Set<Promise<void>>();
  private readonly waiting: { command: DispatchExperiment; delivery?: Delivery }[] = [];
  /** The work-queue delivery of each queued dispatch this executor runs now, by nonce (a redelivery to this executor replaces it). */
  private readonly deliveries = new Map<string, Delivery>();
  private readonly nonces = new Set<string>();
  private roomWaiters: (() => void)[] = [];
  private readonly tasks = new Map<string, Task>();
  private readonly repos = new Map<string, Promise<ArtifactRepo>>();

  private readonly bundled = new Map<string, Promise<{ task: Task; repo: ArtifactRepo }>>();

  constructor(
    readonly executorId: string,
    private readonly reports: ExecutorReports,
    private readonly capacity = 1,
    private readonly log: { warn(message: string): void } = console,
    private readonly bundles?: BundleSite,
  ) {}

  /**
   * Takes an experiment: runs it now or when a slot frees (none once stopping). A dispatch whose
   * nonce this executor already took is a replay: refused (MessageRejectedError), never run twice.
   */
  accept(command: DispatchExperiment, delivery?: Delivery): void {
    if (this.stopping.signal.aborted) {
      delivery?.nak();
      return;
    }
    if (command.nonce !== undefined) {
      if (this.nonces.has(command.nonce)) {
        // The work queue gave this executor back a dispatch it has (its working() went unheard, say
        // across a broker restart): keep running it under the new delivery, or ack it if it is done.
        // A copy published again (a replay) is a first delivery, never later than the one held: dropped.
        const held = this.deliveries.get(command.nonce);
        if (delivery && held && delivery.count > held.count) return void this.deliveries.set(command.nonce, delivery);
        if (delivery) return delivery.ack();
        throw new MessageRejectedError(Patterns.dispatchExperiment, [`replay: dispatch ${command.experimentId} was already taken here`]);
      }
      this.nonces.add(command.nonce);
      // Bounded: the oldest are forgotten (their experiments are long settled).
      if (this.nonces.size > 10_000) this.nonces.delete(this.nonces.values().next().value!);
    }
    if (command.nonce !== undefined && delivery) this.deliveries.set(command.nonce, delivery);
    this.waiting.push({ command, delivery });
    this.pump();
  }

  /** Resolves once fewer than `capacity` experiments are running or waiting here (at once if so). */
  room(): Promise<void> {
    if (this.load < this.capacity) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** How many experiments are running or waiting here. */
  get load(): number {
    return this.running + this.waiting.length;
  }

  /**
   * Stops: experiments waiting here are dropped, running ones aborted; resolves once every running
   * experiment has unwound (its processes killed, its worktree removed).
   */
  async stop(): Promise<void> {
    for (const { delivery } of this.waiting.splice(0)) delivery?.nak();
    this.stopping.abort(new Error(`executor ${this.executorId} is shutting down`));
    await Promise.allSettled([...this.active]);
  }

  /** Nest's shutdown hook: the service closes only once its experiments have stopped. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private pump(): void {
    while (this.running < this.capacity && this.waiting.length > 0 && !this.stopping.signal.aborted) {
      const { command, delivery } = this.waiting.shift()!;
      this.running += 1;
      const done = this.execute(command, delivery)
        .catch((error: unknown) => this.log.warn(`executor ${this.executorId}: ${command.experimentId} could not report: ${(error as Error).message}`))
        .finally(() => {
          this.active.delete(done);
          this.running -= 1;
          this.pump();
          if (this.load < this.capacity) for (const wake of this.roomWaiters.splice(0)) wake();
        });
      this.active.add(done);
    }
  }

  private async execute(command: DispatchExperiment, first?: Delivery): Promise<void> {
    // Every report echoes the dispatch's nonce (if it had one): on a secured bus it binds the report to the dispatch.
    const who = {
      searchId: command.searchId,
      experimentId: command.experimentId,
      nodeId: command.nodeId,
      executorId: this.executorId,
      ...(command.nonce ? { nonce: command.nonce } : {}),
      ...(first ? { delivery: first.count } : {}),
    };
    const delivery = () => (command.nonce !== undefined ? this.deliveries.get(command.nonce) : undefined) ?? first;
    try {
      await this.reports.started(who);
      const beat = setInterval(() => void this.reports.heartbeat(who).catch(() => undefined), Math.max(50, command.leaseMs / 3));
      const keep = first && setInterval(() => delivery()?.working(), first.workingEveryMs);
      let evidence: ExperimentEvidence;
      try {
        evidence = await this.runOne(command);
      } finally {
        clearInterval(beat);
        clearInterval(keep);
      }
      // An experiment aborted by the shutdown has no result: it goes back to the queue (or its lease runs out), and it runs again.
      if (this.stopping.signal.aborted) return delivery()?.nak();
      await this.reports.result({ ...who, evidence });
      delivery()?.ack();
    } finally {
      if (command.nonce !== undefined) this.deliveries.delete(command.nonce);
    }
  }

  private async runOne(command: DispatchExperiment): Promise<ExperimentEvidence> {
    try {
      const { task, repo } = command.transfer ? await this.fromBundles(command) : await this.fromPaths(command);
      const evidence = await runExperiment({
        task,
        repo,
        experimentId: command.experimentId,
        nodeId: command.nodeId,
        searchId: command.searchId,
        baseCommit: command.baseCommit,
        hypothesis: command.hypothesis,
        implementer: implementerFor(command.implementer),
        allowUnsandboxed: command.allowUnsandboxed,
        signal: this.stopping.signal,
      });
      // The commit goes to the coordinator as a git bundle before the result names it.
      if (command.transfer && evidence.commit && !this.stopping.signal.aborted) {
        await (await this.bundles!.artifacts()).put(commitObjectName(evidence.commit), await bundleCommit(repo, evidence.commit));
      }
      return evidence;
    } catch (error) {
      // Broken infrastructure (not an experiment failure) still comes back as evidence, so the search records it.
      return infrastructureFailure(command, error as Error);
    }
  }

  // A task sent as a bundle: its copy and local repository under this executor's own folder (once
  // per task), and the dispatch's base commit fetched as a bundle when this executor lacks it.
  private async fromBundles(command: DispatchExperiment): Promise<{ task: Task; repo: ArtifactRepo }> {
    const { transfer } = command;
    if (!this.bundles) throw new Error('this executor has no artifact store for tasks sent as bundles');
    const artifacts = await this.bundles.artifacts();
    const workdir = path.resolve(this.bundles.workdir);
    let local = this.bundled.get(transfer!.sha256);
    if (!local) {
      local = (async () => {
        const unpacked = unpackTask(await artifacts.get(transfer!.task, transfer!.sha256), path.join(workdir, 'tasks', transfer!.sha256));
        const task = loadTask(unpacked.specPath);
        const repo = await localArtifact(workdir, unpacked, () => artifacts.get(commitObjectName(unpacked.baseCommit)));
        return { task, repo };
      })();
      local.catch(() => this.bundled.delete(transfer!.sha256));
      this.bundled.set(transfer!.sha256, local);
    }
    const { task, repo } = await local;
    if (!(await hasCommit(repo.path, command.baseCommit))) {
      await importCommit(repo.path, await artifacts.get(commitObjectName(command.baseCommit)), command.baseCommit, `refs/hypotree-base/${command.baseCommit}`);
    }
    return { task, repo };
  }

  // A task read from the coordinator's paths (a shared filesystem).
  private async fromPaths(command: DispatchExperiment): Promise<{ task: Task; repo: ArtifactRepo }> {
    const task = this.task(command.taskSpec);
    return { task, repo: await this.repo(task, command.workdir) };
  }

  private task(specPath: string): Task {
    const cached = this.tasks.get(specPath) ?? loadTask(specPath);
    this.tasks.set(specPath, cached);
    return cached;
  }

  private repo(task: Task, workdir: string): Promise<ArtifactRepo> {
    const key = `${task.specPath}\u0000${workdir}`;
    let cached = this.repos.get(key);
    if (!cached) {
      cached = prepareArtifact(task, workdir);
      // A failed preparation is not remembered: the next experiment tries again.
      cached.catch(() => this.repos.delete(key));
      this.repos.set(key, cached);
    }
    return cached;
  }
}

function infrastructureFailure(command: DispatchExperiment, error: Error): ExperimentEvidence {
  return {
    experimentId: command.experimentId,
    nodeId: command.nodeId,
    searchId: command.searchId,
    baseCommit: command.baseCommit,
    status: 'failed',
    failure: { kind: 'crash', detail: `executor could not run the experiment: ${error.message}` },
    refusals: [],
    runs: [],
    implementation: { implementer: command.implementer.kind, summary: '', attempts: 0 },
    report: '',
    durationMs: 0,
    stdoutTail: '',
    stderrTail: error.stack?.slice(-800) ?? '',
    integrity: { sandbox: 'none', specHash: 'unknown', evaluatorHash: 'unknown', changedPaths: [] },
  };
}
