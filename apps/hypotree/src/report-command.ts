import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { searchPage, searchPageHtml } from '@hypotree/analytics';
import { storeOf, storeOption, workdirOption } from './cli-options.js';
import { withLog } from './inspect.js';

/** Registers `hypotree report`: a search as one self-contained HTML file. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write a search as one self-contained HTML file (opens without a server): the tree, the best-so-far curves, the admitted path with its evidence, the held-out test with its interval, the policies, gate calls and sandbox')
    .argument('<searchId>')
    .requiredOption('--out <dir>', 'the folder to write report.html into (created if missing)')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExample:\n  hypotree report spirals-1 --out reports/spirals-1   # then open reports/spirals-1/report.html')
    .action(async (searchId: string, opts) => {
      const page = await withLog(storeOf(opts), async (log) => {
        const history = await log.history(searchId);
        if (history.length === 0) throw new Error(`no search ${searchId} in ${storeOf(opts)}`);
        return searchPage(history);
      });
      mkdirSync(opts.out, { recursive: true });
      const file = path.join(opts.out, 'report.html');
      writeFileSync(file, searchPageHtml({ inline: true, page }));
      console.log(`wrote ${file} (${page.tree.nodes.length} nodes, ${page.curves.at(-1)?.experiments ?? 0} experiments)`);
    });
}
