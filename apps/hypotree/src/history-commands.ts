import type { Command } from 'commander';
import { int, storeOf, storeOption, workdirOption } from './cli-options.js';
import { branchSearch, replaySearch } from './history.js';
import { parsePolicyAssignments } from './policy-flags.js';

/** Registers the commands that work on a search's history: `branch` and `replay`. */
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
    .description("re-decide a search's admissions from the recorded evidence: under the recorded policy (every decision must come out the same), or with some admission parameters changed")
    .argument('<searchId>')
    .option('--policy <assignment...>', 'admission parameters that differ from the recorded ones, e.g. admission.alpha=0.01 admission.mode=dev-only (default: none, the recorded policy)')
    .option('--json', 'one JSON object')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExamples:\n  hypotree replay spirals-1                              # must reproduce every recorded decision\n  hypotree replay spirals-1 --policy admission.alpha=0.01 admission.test=fixed')
    .action(async (searchId: string, opts) => {
      const overrides = parsePolicyAssignments(opts.policy ?? []);
      if (overrides.selection || overrides.refinement) {
        throw new Error('replay re-decides admissions only: selection and refinement choose which experiments run, so try those in a branch (hypotree branch)');
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
      if (replay.unrecordedGates.length > 0) console.log(`gate evaluations never recorded (run them in a branch to know): ${replay.unrecordedGates.join(', ')}`);
      if (replay.unrecordedRuns.length > 0) console.log(`more dev runs never recorded (run them in a branch to know): ${replay.unrecordedRuns.join(', ')}`);
    });
}
