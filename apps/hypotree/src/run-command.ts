import path from 'node:path';
import { Option, type Command } from 'commander';
import { runDistributed } from '@hypotree/coordinator';
import type { SearchConfigInput } from '@hypotree/search';
import { int, storeOf, storeOption, workdirOption } from './cli-options.js';
import { runEmbedded, type EmbeddedRunOptions } from './embedded.js';
import { formatSummary } from './format.js';
import { runInterruptibly } from './interrupt.js';
import { runLogger } from './logger.js';
import { parsePolicyAssignments } from './policy-flags.js';
import { progressReporter } from './progress.js';

/** Registers `hypotree run`: a search on a task (embedded, or coordinating remote services over NATS). */
export function registerRunCommand(program: Command): void {
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
    .addOption(new Option('--proposer <kind>', 'who proposes hypotheses').choices(['offline', 'random', 'tpe', 'llm']))
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
    .addOption(new Option('--transfer <how>', "with --nats: executors get the task and commits as bundles through JetStream's object store (no shared folder), or read them from the coordinator's paths (a shared filesystem)").choices(['bundles', 'shared']).default('bundles'))
    .addOption(new Option('--dispatch <how>', 'with --nats: queue dispatches in a JetStream work queue (they wait for a free executor, are redelivered when one dies) or publish them on core NATS').choices(['jetstream', 'core']).default('jetstream'))
    .addOption(storeOption())
    .addOption(workdirOption())
    .option('--json', 'print the summary as one JSON object on the last line of stdout')
    .option('--verbose', 'log every step of the services to stderr')
    .addHelpText(
      'after',
      '\nDefaults: 24 experiments, 2 at once, a gate budget of half the experiments, seed 1, offline proposer and distiller, params implementer, workdir .hypotree.\n' +
        'Examples:\n  hypotree run examples/spirals\n  hypotree run examples/spirals --budget 48 --seed 3 --search-id s3 --json\n  hypotree run examples/spirals --search-id s3                 # resume s3 from its log\n  hypotree run examples/spirals --policy selection.strategy=greedy admission.alpha=0.01',
    )
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
          store: storeOf(opts),
          onProgress: (tree, note) => progress.update(tree, note),
          logger: runLogger(Boolean(opts.verbose), Boolean(opts.nats)),
        };
        // Ctrl-C stops the search cleanly and prints the command that resumes it (exit 130); a failed search prints why (exit 1).
        const summary = await runInterruptibly(
          (signal) => (opts.nats ? runDistributed({ ...options, nats: opts.nats, dispatch: opts.dispatch, transfer: opts.transfer, signal }) : runEmbedded({ ...options, signal })),
          { task, workdir: opts.workdir, store: opts.store, nats: opts.nats, dispatch: opts.dispatch, transfer: opts.transfer },
          { json: Boolean(opts.json), beforeMessage: () => progress.stop() },
        );
        progress.stop();
        if (summary === undefined) return;
        console.log(formatSummary(summary));
        if (opts.json) console.log(JSON.stringify(summary));
      } finally {
        progress.stop();
      }
    });
}

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

