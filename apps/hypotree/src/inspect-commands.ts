import type { Command } from 'commander';
import { storeOf, storeOption, workdirOption } from './cli-options.js';
import { listSearches, rebuild } from './inspect.js';

/** Registers the commands that check and list a log: `rebuild`, `searches`. */
export function registerInspectCommands(program: Command): void {
  program
    .command('rebuild')
    .description('rebuild the projection of a search from its log and check it')
    .argument('<searchId>')
    .option('--json', 'one JSON object: events, nodes, ms, consistent')
    .addOption(storeOption())
    .addOption(workdirOption())
    .action(async (searchId: string, opts) => {
      const report = await rebuild(storeOf(opts), searchId);
      if (opts.json) console.log(JSON.stringify(report));
      else console.log(`rebuilt ${searchId}: ${report.events} events → ${report.nodes} nodes in ${report.ms} ms; ${report.consistent ? 'consistent' : `INCONSISTENT: ${report.problems.join('; ')}`}`);
      if (!report.consistent) process.exitCode = 1;
    });

  program
    .command('searches')
    .description('list the searches in a log')
    .addOption(storeOption())
    .addOption(workdirOption())
    .action(async (opts) => {
      for (const s of await listSearches(storeOf(opts))) console.log(`${s.searchId}\t${s.task}\t${s.status}`);
    });
}
