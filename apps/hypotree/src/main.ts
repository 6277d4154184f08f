import 'reflect-metadata';
import { Command } from 'commander';
import { TaskSpecError } from '@hypotree/task';
import { registerAnalyticsCommand } from './analytics-command.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerHistoryCommands } from './history-commands.js';
import { registerInspectCommands } from './inspect-commands.js';
import { registerRunCommand } from './run-command.js';
import { registerServiceCommands } from './services.js';

const program = new Command('hypotree')
  .description('Autonomous research on a persistent, event-sourced hypothesis tree')
  .showHelpAfterError();

// Each command lives with its kind: running a search, reading a log, working on a search's history, the services.
registerRunCommand(program);
registerInspectCommands(program);
registerAuditCommands(program);
registerHistoryCommands(program);
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
