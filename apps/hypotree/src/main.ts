import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { TaskSpecError } from '@hypotree/task';
import { registerAnalyticsCommand } from './analytics-command.js';
import { registerGcCommand } from './gc-command.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerHistoryCommands } from './history-commands.js';
import { registerInspectCommands } from './inspect-commands.js';
import { registerReportCommand } from './report-command.js';
import { registerRunCommand } from './run-command.js';
import { registerServiceCommands } from './services.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

// Usage errors (an unknown option, a missing argument) throw instead of exiting, so every one
// exits with code 2 like the errors the commands raise themselves.
const program = new Command('hypotree')
  .description('Autonomous research on a persistent, event-sourced hypothesis tree')
  .version(version, '-V, --version')
  .showHelpAfterError()
  .exitOverride();

// Each command lives with its kind: running a search, reading a log, working on a search's history, the services.
registerRunCommand(program);
registerInspectCommands(program);
registerAuditCommands(program);
registerReportCommand(program);
registerHistoryCommands(program);
registerServiceCommands(program);
registerAnalyticsCommand(program);
registerGcCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the help, the version or the usage error already.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    process.exit();
  }
  const message = error instanceof TaskSpecError ? error.message : `hypotree: ${(error as Error).message}`;
  console.error(message);
  if (process.env.HYPOTREE_DEBUG) console.error((error as Error).stack);
  process.exitCode = 2;
}
