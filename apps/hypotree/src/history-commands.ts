import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import { int, storeOf, storeOption, workdirOption } from './cli-options.js';
import { formatComparison, formatReplay } from './compare-text.js';
import { branchSearch, compareTwo, replaySearch } from './history.js';
import { replayWholeSearch } from './replay.js';
import { parsePolicyAssignments } from './policy-flags.js';

/** Registers the commands that work on a search's history: `branch`, `replay` and `compare`. */
export function registerHistoryCommands(program: Command): void {
  program
    .command('branch')
    .description('start a new search from another as it stood at a revision, optionally under other policies')
    .argument('<searchId>', 'the parent search')
    .option('--at <revision>', "the parent's revision to branch at (default: its last event)", int)
    .option('--policy <assignment...>', 'policy parameters that differ, e.g. admission.sigmas=2')
    .requiredOption('--reason <text>', 'why (recorded in the SearchBranched event)')
    .addHelpText('after', '\nExample:\n  hypotree branch spirals-1 --at 40 --policy admission.alpha=0.01 --reason "stricter gate" --id strict\n  hypotree run examples/spirals --search-id strict')
    .option('--id <branchId>', 'the new search id (default: <searchId>-b<revision>-<time>)')
    .option('--json', 'one JSON object: branchId, parent, revision')
    .addOption(storeOption())
    .addOption(workdirOption())
    .action(async (searchId: string, opts) => {
      const { branchId, revision } = await branchSearch(storeOf(opts), {
        parentId: searchId,
        at: opts.at,
        reason: opts.reason,
        policies: parsePolicyAssignments(opts.policy ?? []),
        branchId: opts.id,
      });
      if (opts.json) console.log(JSON.stringify({ branchId, parent: searchId, revision }));
      else console.log(`branched ${branchId} from ${searchId} at revision ${revision}; continue it with: hypotree run <task> --search-id ${branchId}`);
    });

  program
    .command('replay')
    .description(
      'replay a whole search under other policies, reusing every experiment, evaluation and model call its family already paid for; ' +
        'without --execute it stops at the first step the family never ran and says what going on would take',
    )
    .argument('<searchId>')
    .option('--policy <assignment...>', 'policy parameters that differ from the recorded ones, e.g. selection.strategy=greedy admission.alpha=0.01 (default: none, the recorded policies)')
    .option('--execute', 'run what the memo lacks for real (experiments, gate and test evaluations, model calls)')
    .option('--as <replayId>', 'the replay\'s search id; an existing replay of the same search resumes (default: <searchId>-replay-<time>)')
    .option('--admission-only', "re-decide the recorded nodes' admissions only, in memory (no new search, nothing runs)")
    .option('--json', 'one JSON object')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  hypotree replay spirals-1                                   # must reproduce every decision, with no new experiment\n' +
        '  hypotree replay spirals-1 --policy selection.strategy=greedy --as greedy\n' +
        '  hypotree replay spirals-1 --policy selection.strategy=greedy --as greedy --execute   # run what the memo lacked\n' +
        '  hypotree replay spirals-1 --policy admission.alpha=0.01 --admission-only',
    )
    .action(async (searchId: string, opts) => {
      const overrides = parsePolicyAssignments(opts.policy ?? []);
      if (opts.admissionOnly) return admissionReplay(searchId, overrides, opts);
      const report = await replayWholeSearch({ sourceId: searchId, policies: overrides, execute: Boolean(opts.execute), replayId: opts.as, store: storeOf(opts), workdir: opts.workdir });
      console.log(opts.json ? JSON.stringify(report) : formatReplay(report));
      // The recorded policies must reproduce their own search exactly.
      const { a, b } = report.comparison;
      if (report.finished && isDeepStrictEqual(a.policies, b.policies) && !report.comparison.identical) process.exitCode = 1;
    });

  program
    .command('compare')
    .description('two searches side by side (a search and its replay, or two branches): nodes only one has, decisions that differ, the best node and held-out gain, the cost of each')
    .argument('<a>')
    .argument('<b>')
    .option('--json', 'one JSON object')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExample:\n  hypotree compare spirals-1 greedy')
    .action(async (a: string, b: string, opts) => {
      const comparison = await compareTwo(storeOf(opts), a, b);
      console.log(opts.json ? JSON.stringify(comparison) : formatComparison(comparison));
    });
}

// The admission-only replay: the recorded nodes' admissions re-decided in memory.
async function admissionReplay(searchId: string, overrides: ReturnType<typeof parsePolicyAssignments>, opts: { store?: string; workdir: string; json?: boolean; policy?: string[] }): Promise<void> {
  if (overrides.selection || overrides.refinement) {
    throw new Error('--admission-only re-decides admissions only: selection and refinement choose which experiments run; drop --admission-only to replay the whole search');
  }
  const replay = await replaySearch(storeOf(opts), searchId, overrides);
  if (opts.json) return console.log(JSON.stringify(replay));
  for (const d of replay.decisions) {
    const mark = d.changed ? '*' : ' ';
    console.log(`${mark} ${d.nodeId.padEnd(10)} recorded ${`${d.recorded.outcome}${d.recorded.rule ? ` (${d.recorded.rule})` : ''}`.padEnd(34)} replayed ${d.replayed.outcome} (${d.replayed.rule})`);
  }
  const changed = replay.decisions.filter((d) => d.changed).length;
  const under = opts.policy ? `admission v${replay.policy.version} ${JSON.stringify(replay.policy.params)}` : `the recorded policy (admission v${replay.policy.version} ${JSON.stringify(replay.policy.params)})`;
  console.log(`\n${changed} of ${replay.decisions.length} decisions change under ${under}; best node ${replay.recordedBest ?? '-'} → ${replay.replayedBest ?? '-'}`);
  if (!opts.policy && changed > 0) process.exitCode = 1; // the recorded policy must reproduce its own decisions
  if (replay.unrecordedGates.length > 0) console.log(`gate evaluations never recorded (replay the whole search to know): ${replay.unrecordedGates.join(', ')}`);
  if (replay.unrecordedRuns.length > 0) console.log(`more dev runs never recorded (replay the whole search to know): ${replay.unrecordedRuns.join(', ')}`);
}
