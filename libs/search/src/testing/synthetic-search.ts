import { createHash } from 'node:crypto';
import { ROOT_NODE_ID, type NodeId, type RecordedSearchEvent, type RunScore } from '@hypotree/events';
import type { PendingEvent } from '@hypotree/event-store';
import type { ExperimentResultMessage } from '@hypotree/messaging';
import { buildPolicies, hashString, seededRandom, standardNormal, type PolicyParams } from '@hypotree/policy';
import { configKey, declaredSpace, effectiveParams, OfflineDistiller, OfflineProposer, sampleParameter, type Distiller, type Proposer } from '@hypotree/research';
import { defaults, TaskSpecSchema, type Task } from '@hypotree/task';
import { fold, insightsOnPath, type SearchTree } from '@hypotree/tree';
import { parseSearchConfig } from '../config.js';
import { decide } from '../decide.js';
import type { FamilyMemo } from '../memo.js';
import { seedRange, type ExecutorReport, type SearchCommand, type SearchContext, type SearchInput } from '../model.js';
import { nextInDispatchOrder } from '../order.js';
import { rehearse } from '../rehearse.js';
import { searchSettings } from '../settings.js';
import { searchStarted } from '../started.js';
import type { SyntheticConfig, SyntheticTask } from './synthetic-tasks.js';

/** How a synthetic search is run. */
export interface SyntheticSearchOptions {
  seed: number;
  budget: number;
  parallel?: number;
  /** Defaults: the offline proposer and distiller, as `hypotree run` uses them. */
  proposer?: Proposer;
  distiller?: Distiller;
  policies?: PolicyParams;
  /** Dev runs per experiment (the task's `repeats`). */
  repeats?: number;
  /**
   * The order in which in-flight experiments report: `dispatch` (oldest first) or `shuffled` (a
   * seeded random one of those in flight, as parallel executors of uneven speed would).
   */
  arrival?: 'dispatch' | 'shuffled';
  /** Seeds the arrival order of `shuffled`, independently of the search's seed. */
  arrivalSeed?: number;
  /**
   * `dispatch-order` (what the coordinator does): a result is decided once every node dispatched
   * before its own has one. `as-arrived` decides results as they come, for the spec showing why.
   */
  decide?: 'dispatch-order' | 'as-arrived';
  /**
   * A replay: what the family already measured is taken from this memo (ExperimentReused, reused
   * evaluations), as `hypotree replay --execute` does; the rest is measured on the task's truth.
   */
  memo?: FamilyMemo;
  /** The search id (default `<task>-<seed>`). */
  searchId?: string;
  /** false: the `--no-insights` ablation (nothing is distilled, proposers see no insights). */
  insights?: boolean;
}

/** What a search run in memory found. */
export interface MemoryOutcome {
  tree: SearchTree;
  bestNodeId: NodeId;
  best: SyntheticConfig;
  experiments: number;
  stopReason: string;
  /** Stopped with budget left for a reason other than convergence: the search gave up on itself. */
  premature: boolean;
  /** Every event, as the log would have recorded it. */
  history: RecordedSearchEvent[];
}

/** What a synthetic search found, on the task's truth. */
export interface SyntheticOutcome extends MemoryOutcome {
  /** (truth(best) − truth(default)) / (truth(optimum) − truth(default)): 1 found the optimum, 0 kept the default. */
  fraction: number;
}

/**
 * A problem a search can run on in memory: a loaded task (its spec's objective and parameter
 * space) and a function that measures a configuration's runs on a split. Synthetic tasks measure
 * their truth plus seeded noise; a bundled task measures by running its candidate's and scorer's
 * code in this process (bench/ao.mjs), without sandboxes, worktrees or a log on disk.
 */
export interface MemoryProblem {
  task: Task;
  measure(config: SyntheticConfig, split: 'dev' | 'gate' | 'test', seeds: readonly number[]): RunScore[] | Promise<RunScore[]>;
  /** Configurations whose experiment crashes instead of scoring. */
  crashes?(config: SyntheticConfig): boolean;
}

/** A seeded standard normal draw for one run of one configuration: the same whenever and wherever it runs. */
function runNoise(key: string, split: string, seed: number): number {
  return standardNormal(seededRandom(hashString(key), hashString(split), seed));
}

/** The runs of one evaluation of a configuration: truth (plus dev bias on dev) plus noise. */
export function measure(task: SyntheticTask, config: SyntheticConfig, split: 'dev' | 'gate' | 'test', seeds: readonly number[]): RunScore[] {
  const key = configKey(config, task.space);
  const bias = split === 'dev' ? (task.devBias?.(config) ?? 0) : 0;
  return seeds.map((seed) => ({ seed, value: task.truth(config) + bias + task.noise * runNoise(key, split, seed) }));
}

/** The fraction of the achievable gain a configuration reaches on the task's truth. */
export function achievedFraction(task: SyntheticTask, config: SyntheticConfig): number {
  const base = task.truth(defaults(task.space));
  return (task.truth(config) - base) / (task.truth(task.optimum) - base);
}

/** A loaded-looking task over the synthetic task's space (no files behind it). */
export function syntheticTaskSpec(task: SyntheticTask, repeats = 2): Task {
  const evaluator = { command: 'node', args: ['score.mjs'] };
  const spec = TaskSpecSchema.parse({
    name: task.name,
    description: `synthetic task ${task.name}: ${task.shape}`,
    repo: 'artifact',
    allowedPaths: ['config.json'],
    evaluators: { dev: evaluator, gate: { ...evaluator, sealedData: 'sealed/gate' }, test: { ...evaluator, sealedData: 'sealed/test' } },
    objective: { metric: 'score', direction: 'maximize' },
    parameters: { file: 'config.json', space: task.space },
    budgets: { repeats },
  });
  return { spec, specPath: `/synthetic/${task.name}/hypotree.task.json`, dir: `/synthetic/${task.name}`, repo: `/synthetic/${task.name}/artifact`, sealed: { gate: '/g', test: '/t' }, hash: 'synthetic', evaluatorHash: 'synthetic' };
}

const commitOf = (key: string) => createHash('sha1').update(key).digest('hex');

/**
 * One search on a synthetic task, decided by the real search decider (`decide`) with the real
 * policies, proposer and distiller, and interpreted in memory as the coordinator would: every
 * event is encoded, validated and folded as the log would record it. Experiments "run" by
 * evaluating the task's truth with seeded noise, so a search of 48 experiments takes milliseconds.
 */
export async function syntheticSearch(task: SyntheticTask, options: SyntheticSearchOptions): Promise<SyntheticOutcome> {
  const problem: MemoryProblem = {
    task: syntheticTaskSpec(task, options.repeats ?? 2),
    measure: (config, split, seeds) => measure(task, config, split, seeds),
    ...(task.crashes ? { crashes: task.crashes } : {}),
  };
  const outcome = await searchInMemory(problem, { ...options, searchId: options.searchId ?? `${task.name}-${options.seed}` });
  return { ...outcome, fraction: achievedFraction(task, outcome.best) };
}

/**
 * One search on a problem, decided by the real search decider with the real policies, proposer
 * and distiller, and interpreted in memory as the coordinator would (see `syntheticSearch`): only
 * the runs come from `problem.measure`. The search's settings are the task's (`repeats`), the
 * options' and the policies'; `insights: false` is the `--no-insights` ablation.
 */
export async function searchInMemory(problem: MemoryProblem, options: SyntheticSearchOptions): Promise<MemoryOutcome> {
  const spec = problem.task;
  const repeats = options.repeats ?? spec.spec.budgets.repeats;
  const searchId = options.searchId ?? `${spec.spec.name}-${options.seed}`;
  const config = parseSearchConfig({
    task: spec.specPath,
    searchId,
    budget: { experiments: options.budget, parallel: options.parallel ?? 1 },
    seed: options.seed,
    policies: options.policies ?? {},
    research: { insights: options.insights ?? true },
  });
  const policies = buildPolicies(config.policies);
  const proposer = options.proposer ?? new OfflineProposer();
  const distiller = options.distiller ?? new OfflineDistiller();
  const settings = searchSettings(config, spec, proposer.kind);
  // Every run declares the task it ran under, as an executor's evidence does.
  const integrity = { sandbox: 'allowlist' as const, specHash: spec.hash, evaluatorHash: spec.evaluatorHash };
  const space = declaredSpace(spec, 'search in memory');
  const configs = new Map<string, SyntheticConfig>();
  const commitFor = (nodeId: NodeId, tree: SearchTree) => {
    const c = effectiveParams(tree, nodeId, space);
    const commit = commitOf(configKey(c, space));
    configs.set(commit, c);
    return commit;
  };
  const baseCommit = commitOf(configKey(defaults(space), space));
  configs.set(baseCommit, defaults(space));
  const arrival = seededRandom(options.arrivalSeed ?? options.seed, hashString('arrival'));
  let tree = fold([]);
  let clock = Date.parse('2026-01-01T00:00:00Z');
  // Experiments dispatched whose result has not arrived, and results that arrived but wait their turn.
  const running: { experimentId: string; nodeId: NodeId }[] = [];
  const held: Extract<ExecutorReport, { kind: 'result' | 'reused' }>[] = [];
  const history: RecordedSearchEvent[] = [];
  const { memo } = options;

  const settle = async (input: SearchInput): Promise<boolean> => {
    clock += 1000;
    const ctx: SearchContext = { searchId, policies, settings, now: new Date(clock) };
    const decision = decide(tree, input, ctx);
    append(decision.events, ctx.now);
    for (const command of decision.commands) if (await execute(command)) return true;
    return false;
  };
  const append = (pending: PendingEvent[], now: Date) => {
    if (pending.length === 0) return;
    const recorded = rehearse(tree, searchId, pending, now);
    tree = fold(recorded, tree);
    history.push(...recorded);
  };
  const reusedRuns = (found: { runs: RunScore[]; source: { searchId: string; eventId: string } } | undefined) => found && { runs: found.runs, sandbox: 'allowlist' as const, reusedFrom: found.source };
  const dev = async (commit: string, seeds: number[]) => reusedRuns(memo?.devRuns(commit, seeds)) ?? { runs: await problem.measure(configs.get(commit)!, 'dev', seeds), sandbox: 'allowlist' as const };
  const execute = async (command: SearchCommand): Promise<boolean> => {
    switch (command.kind) {
      case 'measure-baseline':
        return settle({ kind: 'baseline-measured', commit: command.commit, measured: await dev(command.commit, command.seeds) });
      case 'repeat':
        return settle({ kind: 'repeated', nodeId: command.nodeId, commit: command.commit, measured: await dev(command.commit, command.seeds) });
      case 'propose': {
        const parentParams = effectiveParams(tree, command.parentId, space);
        const insights = insightsOnPath(tree, command.parentId);
        const proposals = await proposer.propose({ tree, task: spec, parentId: command.parentId, count: command.count, insights, parentParams });
        return settle({ kind: 'proposed', parentId: command.parentId, proposals });
      }
      case 'dispatch': {
        const { experimentId, nodeId, baseCommit: base } = command.message;
        const found = memo?.experiment(tree, nodeId, base);
        if (!found) {
          running.push({ experimentId, nodeId });
          return false;
        }
        const outcome = { ...found.outcome, data: { ...found.outcome.data, experimentId, nodeId } } as typeof found.outcome;
        if (outcome.type === 'ExperimentSucceeded') configs.set(outcome.data.commit, effectiveParams(tree, nodeId, space));
        held.push({ kind: 'reused', message: { searchId, experimentId, nodeId }, reused: { experimentId, nodeId, source: found.source, outcome } });
        return false;
      }
      case 'gate': {
        const seeds = command.seeds ?? repeats;
        const from = command.from ?? 1;
        const found = memo?.gate(command.commit, seeds, from);
        const outcome = found?.ok
          ? { ok: true as const, runs: found.runs, sandbox: 'allowlist' as const, reusedFrom: found.source }
          : { ok: true as const, runs: await problem.measure(configs.get(command.commit)!, 'gate', seedRange(seeds, from)), sandbox: 'allowlist' as const };
        return settle({ kind: 'gated', nodeId: command.nodeId, commit: command.commit, outcome });
      }
      case 'distill': {
        const drafts = await distiller.distill({ tree, task: spec, nodeId: command.nodeId });
        return settle({ kind: 'distilled', nodeId: command.nodeId, drafts });
      }
      case 'await-report': {
        // As the coordinator does: a result that arrives early waits until its turn in dispatch order.
        for (;;) {
          const ready = options.decide === 'as-arrived' ? held[0] : nextInDispatchOrder(tree, held);
          if (ready) {
            held.splice(held.indexOf(ready), 1);
            return settle({ kind: 'reported', report: ready });
          }
          if (running.length === 0 && held.length > 0) continue; // reused results wait for their turn only behind each other
          if (running.length === 0) throw new Error(`synthetic search ${searchId}: nothing is in flight and nothing can start, yet the search is not complete`);
          const index = options.arrival === 'shuffled' ? Math.floor(arrival() * running.length) : 0;
          const [next] = running.splice(index, 1);
          held.push({ kind: 'result', message: await result(next!.experimentId, next!.nodeId) });
        }
      }
      case 'final-test': {
        const test = async (commit: string) => reusedRuns(memo?.testRuns(commit, command.seeds)) ?? { runs: await problem.measure(configs.get(commit)!, 'test', seedRange(command.seeds)) };
        const baseline = await test(command.baseline.commit);
        const best = command.best ? await test(command.best.commit) : baseline;
        return settle({ kind: 'tested', baseline, best });
      }
      case 'finish':
        return true;
    }
  };
  const result = async (experimentId: string, nodeId: NodeId): Promise<ExperimentResultMessage> => {
    const commit = commitFor(nodeId, tree);
    const c = configs.get(commit)!;
    const base = tree.nodes.get(tree.nodes.get(nodeId)!.parentId!)!.result!.commit;
    const common = { experimentId, nodeId, searchId, baseCommit: base, refusals: [], implementation: { implementer: 'params', summary: 'set parameters', attempts: 1 }, report: 'synthetic', durationMs: 1000, stdoutTail: '', stderrTail: '', integrity };
    const evidence = problem.crashes?.(c)
      ? { ...common, status: 'failed' as const, failure: { kind: 'crash' as const, detail: 'the synthetic task crashes in this region' }, runs: [] }
      : { ...common, status: 'succeeded' as const, runs: await problem.measure(c, 'dev', seedRange(repeats)), commit, ref: `refs/hypotree/${searchId}/${nodeId}` };
    return { searchId, experimentId, nodeId, executorId: 'synthetic', evidence };
  };

  const started = searchStarted(searchId, { task: spec, config, policies, baseCommit, sandbox: 'allowlist' });
  await settle({ kind: 'start', started });
  while (!(await settle({ kind: 'advance' })));
  const bestNodeId = tree.completed!.bestNodeId;
  const best = effectiveParams(tree, bestNodeId, space);
  const experiments = [...tree.nodes.values()].filter((n) => n.id !== ROOT_NODE_ID && n.experiments.length > 0).length;
  const stopReason = tree.completed!.reason;
  const premature = experiments < options.budget && !stopReason.startsWith('converged');
  return { tree, bestNodeId, best, experiments, stopReason, premature, history };
}

/**
 * A fair random search, outside hypotree's tree and admission: `budget` independent uniform samples
 * of the space (plus the defaults), each measured on dev with `repeats` seeds; the best mean dev
 * score wins (best-so-far). What a user would run with any random sampler.
 */
export function fairRandomSearch(task: SyntheticTask, options: { seed: number; budget: number; repeats?: number }): { best: SyntheticConfig; fraction: number } {
  const random = seededRandom(options.seed, hashString(`fair-random:${task.name}`));
  const seeds = Array.from({ length: options.repeats ?? 2 }, (_, i) => i + 1);
  const mean = (c: SyntheticConfig) => {
    if (task.crashes?.(c)) return -Infinity;
    const runs = measure(task, c, 'dev', seeds);
    return runs.reduce((s, r) => s + r.value, 0) / runs.length;
  };
  let best = defaults(task.space);
  let bestScore = mean(best);
  for (let i = 0; i < options.budget; i++) {
    const c = Object.fromEntries(task.space.map((p) => [p.name, sampleParameter(p, random)]));
    const score = mean(c);
    if (score > bestScore) [best, bestScore] = [c, score];
  }
  return { best, fraction: achievedFraction(task, best) };
}
