import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type DynamicModule, type INestMicroservice, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ClientProxy, MicroserviceOptions } from '@nestjs/microservices';
import { lastValueFrom, timeout } from 'rxjs';
import { configFromStarted, familySpend, parseSearchConfig, taskChanges, type FamilyMemo, type SearchConfig, type SearchConfigInput } from '@hypotree/search';
import { defaultStoreUrl, openEventStore, SearchLog, type EventStore } from '@hypotree/event-store';
import { DistillReplySchema, parseMessage, Patterns, type DispatchExperiment } from '@hypotree/messaging';
import { buildPolicies } from '@hypotree/policy';
import { loadTask, type Task } from '@hypotree/task';
import { fold, type SearchTree } from '@hypotree/tree';
import { prepareArtifact, removeOrphanedWorktrees, sandboxMode, type ArtifactRepo } from '@hypotree/workspace';
import { collectModelCalls, distillerFor, llmEndpoint, proposerFor, type LlmEndpoint } from '@hypotree/research';
import { CoordinatorModule } from './coordinator.module.js';
import { SearchFailedError, SearchInterrupted } from './errors.js';
import { worktreeEvaluators } from './evaluators.js';
import { refuseDispatch, refusingEvaluators, runMemo } from './replay-memo.js';
import { SearchRun, type SearchRunDeps } from './search-run.js';
import { SearchRuns, type ResultCheck } from './search-runs.js';
import type { SearchSummary } from './summary.js';

/** What `hypotree run` asks for, whichever transport carries the messages. */
export interface SearchRunOptions {
  config: SearchConfigInput;
  /** Event store URL; defaults to the SQLite file under the workdir. */
  store?: string;
  onProgress?: (tree: SearchTree, note: string) => void;
  /**
   * The services' logger, also given the search loop's notes and warnings (default: none; the loop's
   * warnings then go to stderr all the same: a proposer reply that was dropped, a distiller that
   * failed, a result ignored are never silent).
   */
  logger?: LoggerService | false;
  /**
   * Stops the run (Ctrl-C): nothing more is recorded, running evaluations and experiments are
   * killed and their worktrees removed, and the run rejects with SearchInterrupted (the search
   * resumes from its log).
   */
  signal?: AbortSignal;
  /**
   * A replay (`hypotree replay`): what the family already paid for is taken from `memo`; whatever it
   * lacks runs for real only when `execute`, and otherwise stops the run with ReplayNeeds.
   */
  replay?: { memo: FamilyMemo; execute: boolean };
}

/** The transport a search's coordinator runs on, and what else runs in this process. */
export interface SearchWiring {
  /** Nest microservice options for an app on the transport (one fresh server per app). */
  server(): MicroserviceOptions;
  /** Sends dispatches and distill requests; the caller owns (and closes) it. */
  client: ClientProxy;
  /** `expire-now` when the executors died with the previous coordinator (embedded), else `wait-for-lease`. */
  orphans: 'wait-for-lease' | 'expire-now';
  /** Services started in this process after the coordinator (embedded: executors and the distiller). */
  colocated?: (context: { config: SearchConfig; store: EventStore }) => DynamicModule[];
  /** How long to wait for a distiller's reply; unset waits as long as it takes. */
  distillTimeoutMs?: number;
  /** When a dispatch's lease starts (`start`: dispatches wait in a work queue for a free executor). */
  leaseFrom?: 'dispatch' | 'start';
  /** With `leaseFrom: 'start'`: whether a dispatch is still in the work queue. */
  stillQueued?: SearchRunDeps['stillQueued'];
  /**
   * Executors without the coordinator's filesystem: `prepare` (once the task and its repository are
   * ready) sends what executors need and says how each dispatch names it; `admitResult` imports a
   * result's commit before the result is recorded (a refusal changes nothing).
   */
  transfer?: {
    prepare(context: { task: Task; repo: ArtifactRepo }): Promise<(command: DispatchExperiment) => DispatchExperiment>;
    /** Distill requests carry the task's spec (distillers read no task folder either). */
    sendSpec?: boolean;
    admitResult(context: { task: Task; repo: ArtifactRepo }, message: Parameters<ResultCheck>[0]): Promise<string | undefined>;
  };
  /** Subscribes to dispatches the transport gave up on (dead letters): each is recorded as a crash with the reason. */
  undeliverable?: (notify: (letter: { searchId: string; experimentId: string; reason: string }) => void) => void;
}

/** An actor identity for events written by this process. */
export function actor(service: string) {
  return { service, instance: `${os.hostname()}-${process.pid}` };
}

/** A fresh search id: the task name, the date and a random suffix. */
export function newSearchId(taskName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${taskName}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * Runs (or resumes) one search with the coordinator in this process, over the given transport:
 * opens the log, prepares the artifact (removing worktrees a run that died left behind), starts the
 * coordinator (and any colocated services), drives the loop to its end and closes everything it
 * started. The workdir is made absolute, since executors elsewhere receive it in every dispatch.
 * A search that failed throws SearchFailedError (also on resume, before anything runs); a run
 * stopped by `options.signal` throws SearchInterrupted once everything it started is closed.
 */
export async function coordinateSearch(options: SearchRunOptions, wiring: SearchWiring): Promise<SearchSummary> {
  let config = parseSearchConfig(options.config);
  config = { ...config, workdir: path.resolve(config.workdir) };
  const task = loadTask(config.task);
  const store = openEventStore(options.store ?? defaultStoreUrl(config.workdir));
  const apps: INestMicroservice[] = [];
  const { signal } = options;
  let searchId: string | undefined;
  let revision = -1;
  let run: SearchRun | undefined;
  try {
    const log = new SearchLog(store, actor('coordinator'));
    searchId = config.searchId ?? newSearchId(task.spec.name);
    const recorded = fold(await log.history(searchId));
    revision = recorded.revision;
    if (recorded.failed) throw new SearchFailedError(searchId, recorded.failed);
    if (recorded.started) config = configFromStarted(config, searchId, recorded.started);
    assertSandboxAllows(config);
    const repo = await prepareArtifact(task, config.workdir);
    assertSameTask(recorded, task, repo.baseCommit);

    const logger = options.logger ?? false;
    const loopLogger = logger ? { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m) } : { log: () => undefined, warn: (m: string) => console.error(`hypotree: warning: ${m}`) };
    const orphans = await removeOrphanedWorktrees(repo.workdir);
    if (orphans.removed.length > 0) loopLogger.warn(`removed ${orphans.removed.length} worktree(s) a stopped run left behind under ${repo.workdir}`);
    signal?.throwIfAborted();

    const start = async (module: Parameters<typeof NestFactory.createMicroservice>[0]) => {
      const app = await NestFactory.createMicroservice(module, { ...wiring.server(), logger });
      await app.listen();
      apps.push(app);
      return app;
    };
    const coordinator = await start(CoordinatorModule);
    for (const module of wiring.colocated?.({ config, store }) ?? []) await start(module);

    const { client } = wiring;
    const reply = (request: object) => {
      const answer = client.send(Patterns.distill, request);
      return wiring.distillTimeoutMs === undefined ? answer : answer.pipe(timeout({ first: wiring.distillTimeoutMs, with: () => { throw new Error(`no distiller answered within ${wiring.distillTimeoutMs} ms; is one running on this transport?`); } }));
    };
    const { replay } = options;
    const dryReplay = replay !== undefined && !replay.execute;
    const sandbox = sandboxMode().kind;
    const memo = replay && runMemo(replay.memo, { execute: replay.execute, repeats: task.spec.budgets.repeats, sandbox });
    // A replay from the memo alone asks no model (a call it lacks is refused first), so it needs no endpoint.
    const sent = wiring.transfer && !dryReplay ? await wiring.transfer.prepare({ task, repo }) : (command: DispatchExperiment) => command;
    const endpoint = (): LlmEndpoint => (dryReplay ? memoEndpoint(config.research.model) : llmEndpoint(config.research.model));
    const distiller = replay && distillerFor(config.research.distiller, endpoint);
    run = new SearchRun(
      {
        log,
        task,
        baseCommit: repo.baseCommit,
        config,
        policies: buildPolicies(config.policies),
        proposer: proposerFor(config.research.proposer, endpoint),
        evaluators: dryReplay ? refusingEvaluators(sandbox) : worktreeEvaluators(task, repo, signal),
        dispatch: dryReplay ? refuseDispatch : async (command) => void (await lastValueFrom(client.emit(Patterns.dispatchExperiment, sent(command)), { defaultValue: undefined })),
        // A replay distills in this process, so the distiller's model calls are answered from the memo too.
        distill: distiller
          ? async (request) => {
              const tree = fold(await log.history(request.searchId, request.revision));
              const { value: drafts, calls } = await collectModelCalls(() => distiller.distill({ tree, task, nodeId: request.nodeId }), memo!.recall);
              return { drafts, modelCalls: calls };
            }
          : async (request) => parseMessage(DistillReplySchema, Patterns.distill, await lastValueFrom(reply(wiring.transfer?.sendSpec ? { ...request, spec: task.spec } : request))),
        ...(memo ? { memo } : {}),
        orphans: wiring.orphans,
        leaseFrom: wiring.leaseFrom,
        stillQueued: wiring.stillQueued,
        onProgress: options.onProgress,
        logger: loopLogger,
        signal,
      },
      searchId,
    );
    const runs = coordinator.get(SearchRuns);
    const { transfer } = wiring;
    runs.add(run, transfer && ((message) => transfer.admitResult({ task, repo }, message)));
    const current = run;
    wiring.undeliverable?.((letter) => {
      if (letter.searchId === current.searchId) current.undeliverable(letter.experimentId, letter.reason);
    });
    try {
      const summary = await run.run();
      // The family's test-set use is context: a damaged sibling search leaves it out of the summary.
      const family = await log.family(searchId).then(familySpend, () => undefined);
      if (!family) return summary;
      const { searches, testScores, gateEvaluations, experiments } = family;
      return { ...summary, family: { searches, testScores, gateEvaluations, experiments } };
    } finally {
      runs.remove(searchId);
    }
  } catch (error) {
    if (signal?.aborted && searchId !== undefined && !(error instanceof SearchFailedError)) {
      throw new SearchInterrupted(searchId, run?.current?.revision ?? revision, signal.reason);
    }
    throw error;
  } finally {
    for (const app of apps.reverse()) await app.close();
    await store.close();
  }
}

// The endpoint of a replay that may not call a model: any call is refused before a request is sent.
function memoEndpoint(model: string | undefined): LlmEndpoint {
  try {
    return llmEndpoint(model);
  } catch {
    return { baseURL: 'http://replay-from-memo.invalid/v1', model: model ?? 'unknown', apiKey: 'not-needed' };
  }
}

// An implementer that writes code must not run where nothing contains it, unless the user said so
// (and the search records that they did).
function assertSandboxAllows(config: SearchConfig): void {
  const mode = sandboxMode();
  if (mode.kind === 'none' && config.research.implementer.kind !== 'params' && !config.allowUnsandboxed) {
    throw new Error(
      `the ${config.research.implementer.kind} implementer writes code, and this machine has no sandbox (${mode.reason}). ` +
        'Install bubblewrap (apt-get install -y bubblewrap), or pass --allow-unsandboxed to run it anyway (the search records that choice).',
    );
  }
}

// Scores of one search are comparable only if every one came from the same task, evaluators and
// artifact: a resume against an edited spec or another base commit is refused, not silently mixed.
function assertSameTask(tree: SearchTree, task: Task, baseCommit: string): void {
  if (!tree.started) return;
  const differences = taskChanges(tree.started.task, task, baseCommit);
  if (differences.length > 0) {
    throw new Error(
      `search ${tree.searchId} cannot resume: its task changed since it started (${differences.join('; ')}). ` +
        'Restore the task, or start a new search without --search-id.',
    );
  }
}
