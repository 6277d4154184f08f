import 'reflect-metadata';
import path from 'node:path';
import { Command, Option } from 'commander';
import { TaskSpecError } from '@hypotree/task';
import { parsePolicyAssignments } from './policy-flags.js';
import type { SearchConfigInput } from '@hypotree/search';
import { runDistributed } from '@hypotree/coordinator';
import { runEmbedded, type EmbeddedRunOptions } from './embedded.js';
import { formatSummary } from './format.js';
import { branchSearch, replaySearch } from './history.js';
import { listSearches, rebuild, showTree } from './inspect.js';
import { runLogger } from './logger.js';
import { progressReporter } from './progress.js';
import { registerServiceCommands } from './services.js';
import { registerAnalyticsCommand } from './analytics-command.js';
import { defaultStoreUrl } from '@hypotree/event-store';

const program = new Command('hypotree')
  .description('Autonomous research on a persistent, event-sourced hypothesis tree')
  .showHelpAfterError();

const storeOption = () => new Option('--store <url>', 'event store: sqlite:<file> (default .hypotree/events.db) or esdb://host:2113?tls=false');
const workdirOption = () => new Option('--workdir <dir>', "hypotree's working folder (artifact repo, worktrees, log)").default('.hypotree');
const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got ${value}`);
  return n;
};

program
  .command('run')
  .description('run (or resume, with --search-id) a search on a task, then the held-out test once')
  .argument('<task>', 'task folder or its hypotree.task.json')
  .option('--budget <n>', 'experiments', int)
  .option('--parallel <n>', 'experiments at once', int)
  .option('--gate-budget <n>', 'gate evaluations', int)
  .option('--max-minutes <n>', 'wall-clock budget; experiments still running then are cancelled', int)
  .option('--max-tokens <n>', 'model token budget (proposer, distiller and implementer calls)', int)
  .option('--seed <n>', 'search seed', int)
  .option('--policy <assignment...>', 'policy parameters, e.g. selection.strategy=greedy admission.sigmas=1.5')
  .addOption(new Option('--proposer <kind>', 'who proposes hypotheses').choices(['offline', 'random', 'llm']))
  .addOption(new Option('--distiller <kind>', 'who distills insights').choices(['offline', 'llm']))
  .addOption(new Option('--implementer <kind>', 'who implements hypotheses').choices(['params', 'agent', 'llm']))
  .option('--agent <command>', 'coding-agent command line for --implementer agent (hypothesis on stdin; runs in the sandbox at /work)')
  .option('--agent-bind <path...>', "host paths the agent needs (its install, its config), visible read-only at the same paths in its sandbox")
  .option('--agent-endpoint <url>', "the one model endpoint the agent may reach from its sandbox (http/https; given to it as OPENAI_BASE_URL); off by default, recorded in the log")
  .option('--allow-unsandboxed', 'let the agent and llm implementers run where bubblewrap is missing (recorded in the log; scores are then only as honest as the code)')
  .option('--model <name>', 'model for the llm variants (endpoint: OPENAI_BASE_URL)')
  .option('--no-insights', 'ablation: proposers see no insights and nothing is distilled')
  .option('--search-id <id>', 'name the search; an existing id resumes it from the log')
  .option('--lease-ms <ms>', 'executor lease', int)
  .option('--nats <url>', 'distributed: coordinate remote executors and a distiller over NATS (nats://host:4222) instead of in-process ones')
  .addOption(storeOption())
  .addOption(workdirOption())
  .option('--json', 'print the summary as one JSON object on the last line of stdout')
  .option('--verbose', 'log every step of the services to stderr')
  .action(async (task: string, opts) => {
    const config: SearchConfigInput = {
      task,
      searchId: opts.searchId,
      seed: opts.seed,
      workdir: opts.workdir,
      leaseMs: opts.leaseMs,
      allowUnsandboxed: opts.allowUnsandboxed,
      budget: {
        experiments: opts.budget,
        parallel: opts.parallel,
        gateEvaluations: opts.gateBudget,
        wallClockMs: opts.maxMinutes === undefined ? undefined : opts.maxMinutes * 60_000,
        tokens: opts.maxTokens,
      },
      policies: parsePolicyAssignments(opts.policy ?? []),
      research: {
        proposer: opts.proposer,
        distiller: opts.distiller,
        insights: opts.insights,
        model: opts.model,
        implementer: implementer(opts.implementer, opts.agent, opts.model, opts.agentBind, opts.agentEndpoint),
      },
    };
    const progress = progressReporter(Boolean(process.stderr.isTTY) && !opts.verbose);
    try {
      const options: EmbeddedRunOptions = {
        config: JSON.parse(JSON.stringify(config)),
        store: opts.store ?? defaultStoreUrl(opts.workdir),
        onProgress: (tree, note) => progress.update(tree, note),
        logger: runLogger(Boolean(opts.verbose), Boolean(opts.nats)),
      };
      const summary = opts.nats ? await runDistributed({ ...options, nats: opts.nats }) : await runEmbedded(options);
      progress.stop();
      console.log(formatSummary(summary));
      if (opts.json) console.log(JSON.stringify(summary));
    } finally {
      progress.stop();
    }
  });

program
  .command('tree')
  .description('print the hypothesis tree of a search')
  .argument('<searchId>')
  .option('--insights', 'show insights under their nodes')
  .addOption(storeOption())
  .addOption(workdirOption())
  .action(async (searchId: string, opts) => {
    console.log(await showTree(opts.store ?? defaultStoreUrl(opts.workdir), searchId, Boolean(opts.insights)));
  });

program
  .command('rebuild')
  .description('rebuild the projection of a search from its log and check it')
  .argument('<searchId>')
  .option('--json', 'one JSON object: events, nodes, ms, consistent')
  .addOption(storeOption())
  .addOption(workdirOption())
  .action(async (searchId: string, opts) => {
    const report = await rebuild(opts.store ?? defaultStoreUrl(opts.workdir), searchId);
    if (opts.json) console.log(JSON.stringify(report));
    else console.log(`rebuilt ${searchId}: ${report.events} events → ${report.nodes} nodes in ${report.ms} ms; ${report.consistent ? 'consistent' : `INCONSISTENT: ${report.problems.join('; ')}`}`);
    if (!report.consistent) process.exitCode = 1;
  });

program
  .command('branch')
  .description('start a new search from another as it stood at a revision, optionally under other policies')
  .argument('<searchId>', 'the parent search')
  .option('--at <revision>', "the parent's revision to branch at (default: its last event)", int)
  .option('--policy <assignment...>', 'policy parameters that differ, e.g. admission.sigmas=2')
  .requiredOption('--reason <text>', 'why (recorded in the SearchBranched event)')
  .option('--id <branchId>', 'the new search id')
  .addOption(storeOption())
  .addOption(workdirOption())
  .action(async (searchId: string, opts) => {
    const { branchId, revision } = await branchSearch(opts.store ?? defaultStoreUrl(opts.workdir), {
      parentId: searchId,
      at: opts.at,
      reason: opts.reason,
      policies: parsePolicyAssignments(opts.policy ?? []),
      branchId: opts.id,
    });
    console.log(`branched ${branchId} from ${searchId} at revision ${revision}; continue it with: hypotree run <task> --search-id ${branchId}`);
  });

program
  .command('replay')
  .description("re-decide a search's admissions under other admission parameters, from the recorded evidence")
  .argument('<searchId>')
  .requiredOption('--policy <assignment...>', 'admission parameters, e.g. admission.sigmas=2 admission.mode=dev-only')
  .option('--json', 'one JSON object')
  .addOption(storeOption())
  .addOption(workdirOption())
  .action(async (searchId: string, opts) => {
    const overrides = parsePolicyAssignments(opts.policy);
    if (overrides.selection || overrides.refinement) {
      throw new Error('replay re-decides admissions only: selection and refinement choose which experiments run, so try those in a branch (hypotree branch)');
    }
    const replay = await replaySearch(opts.store ?? defaultStoreUrl(opts.workdir), searchId, overrides);
    if (opts.json) return console.log(JSON.stringify(replay));
    for (const d of replay.decisions) {
      const mark = d.changed ? '*' : ' ';
      console.log(`${mark} ${d.nodeId.padEnd(10)} recorded ${`${d.recorded.outcome}${d.recorded.rule ? ` (${d.recorded.rule})` : ''}`.padEnd(34)} replayed ${d.replayed.outcome} (${d.replayed.rule})`);
    }
    const changed = replay.decisions.filter((d) => d.changed).length;
    console.log(`\n${changed} of ${replay.decisions.length} decisions change under ${JSON.stringify(replay.policy.params)}; best node ${replay.recordedBest ?? '-'} → ${replay.replayedBest ?? '-'}`);
    if (replay.unrecordedGates.length > 0) console.log(`gate evaluations never recorded (run them in a branch to know): ${replay.unrecordedGates.join(', ')}`);
    if (replay.unrecordedRuns.length > 0) console.log(`more dev runs never recorded (run them in a branch to know): ${replay.unrecordedRuns.join(', ')}`);
  });

program
  .command('searches')
  .description('list the searches in a log')
  .addOption(storeOption())
  .addOption(workdirOption())
  .action(async (opts) => {
    for (const s of await listSearches(opts.store ?? defaultStoreUrl(opts.workdir))) console.log(`${s.searchId}\t${s.task}\t${s.status}`);
  });

function implementer(kind: string | undefined, agent: string | undefined, model: string | undefined, binds: string[] | undefined, endpoint: string | undefined) {
  if (kind === 'agent') {
    if (!agent) throw new Error('--implementer agent needs --agent "<command line>"');
    const [command, ...args] = agent.split(/\s+/).filter(Boolean);
    return { kind: 'agent' as const, command: command!, args, binds: (binds ?? []).map((b) => path.resolve(b)), ...(endpoint === undefined ? {} : { endpoint }) };
  }
  if (binds !== undefined || endpoint !== undefined) throw new Error('--agent-bind and --agent-endpoint are for --implementer agent');
  if (kind === 'llm') {
    const name = model ?? process.env.HYPOTREE_MODEL;
    if (!name) throw new Error('--implementer llm needs a model: --model <name> or HYPOTREE_MODEL');
    return { kind: 'llm' as const, model: name };
  }
  return kind ? { kind: 'params' as const } : undefined;
}

registerServiceCommands(program);
registerAnalyticsCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof TaskSpecError ? error.message : `hypotree: ${(error as Error).message}`;
  console.error(message);
  if (process.env.HYPOTREE_DEBUG) console.error((error as Error).stack);
  process.exitCode = 2;
}
