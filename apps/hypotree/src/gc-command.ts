import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { collectWorktrees } from '@hypotree/workspace';
import { workdirOption } from './cli-options.js';

/** Registers `hypotree gc`: removes the worktrees runs that died (kill -9, a crash) left in a workdir. */
export function registerGcCommand(program: Command): void {
  program
    .command('gc')
    .description('remove the worktrees a stopped run left behind (killed with -9, crashed); those of running searches are kept')
    .addOption(workdirOption())
    .option('--json', 'one JSON object: removed (folders) and kept (folder and reason)')
    .addHelpText('after', '\nExamples:\n  hypotree gc                      # the default workdir, .hypotree\n  hypotree gc --workdir /data/ht   # another workdir\n\nEvery run also does this for its task when it starts or resumes.')
    .action(async (opts: { workdir: string; json?: boolean }) => {
      const workdir = path.resolve(opts.workdir);
      // A mistyped --workdir is an error, not "nothing to remove".
      if (!existsSync(workdir)) throw new Error(`no workdir at ${workdir} (--workdir)`);
      const sweep = await collectWorktrees(workdir);
      if (opts.json) {
        console.log(JSON.stringify(sweep));
        return;
      }
      console.log(`removed ${sweep.removed.length} orphaned worktree(s) under ${workdir}${sweep.kept.length > 0 ? `; kept ${sweep.kept.length} in use` : ''}`);
      for (const dir of sweep.removed) console.log(`  removed ${dir}`);
      for (const { dir, reason } of sweep.kept) console.log(`  kept    ${dir}: ${reason}`);
    });
}
