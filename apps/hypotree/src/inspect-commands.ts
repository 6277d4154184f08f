import type { Command } from 'commander';
import { storeOf, storeOption, workdirOption } from './cli-options.js';
import { formatSearches, listSearches, rebuild } from './inspect.js';

/** Registers the commands that check and list a log: `rebuild`, `searches`. Neither creates a log. */
export function registerInspectCommands(program: Command): void {
  program
    .command('rebuild')
    .description('rebuild the projection of a search from its log and check it: revisions contiguous from 0, the incremental projection, the recorded outcome (exit code 1 when the log is not consistent)')
    .argument('<searchId>')
    .option('--json', 'one JSON object: events, nodes, ms, consistent, problems, revision')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExample:\n  hypotree rebuild spirals-1 --json')
    .action(async (searchId: string, opts) => {
      const report = await rebuild(storeOf(opts), searchId);
      if (opts.json) console.log(JSON.stringify(report));
      else if (report.nodes === null) console.log(`cannot rebuild ${searchId}: INCONSISTENT: ${report.problems.join('; ')}`);
      else console.log(`rebuilt ${searchId}: ${report.events} events → ${report.nodes} nodes in ${report.ms} ms; ${report.consistent ? 'consistent' : `INCONSISTENT: ${report.problems.join('; ')}`}`);
      if (!report.consistent) process.exitCode = 1;
    });

  program
    .command('searches')
    .description(
      'list the searches in a log, oldest first: task, creation time, status (open, completed, done, failed, broken), ' +
        "experiments, best node, held-out gain; a search whose log cannot be read is listed as broken with the reason (exit code 1), the others as usual",
    )
    .option('--json', 'one JSON array, one object per search')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExamples:\n  hypotree searches\n  hypotree searches --workdir runs/.hypotree --json')
    .action(async (opts) => {
      const listings = await listSearches(storeOf(opts));
      console.log(opts.json ? JSON.stringify(listings) : formatSearches(listings));
      const broken = listings.filter((s) => s.status === 'broken').map((s) => s.searchId);
      if (broken.length > 0) {
        console.error(`hypotree: the log of ${broken.join(', ')} cannot be read (see the reason above; the other searches are listed)`);
        process.exitCode = 1;
      }
    });
}
