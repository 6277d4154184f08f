import type { Command } from 'commander';
import { runAnalyticsService } from '@hypotree/analytics';

/** Adds `hypotree analytics`: follow the log, serve the dashboard, the search API and Prometheus metrics until SIGINT/SIGTERM. */
export function registerAnalyticsCommand(program: Command): void {
  program
    .command('analytics')
    .description('follow the event log and serve a live dashboard (/), /api/searches, /metrics (Prometheus) and /events (SSE)')
    .option('--store <url>', 'event store: sqlite:<file> (default <workdir>/events.db) or esdb://host:2113?tls=false')
    .option('--workdir <dir>', "hypotree's working folder", '.hypotree')
    .option('--port <n>', 'HTTP port (0: a free one)', '7070')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--state <file>', 'checkpoint file (default <workdir>/analytics-state.json)')
    .addHelpText('after', '\nExamples:\n  hypotree analytics                       # http://127.0.0.1:7070/\n  hypotree analytics --store esdb://localhost:2113?tls=false --port 0 --host 0.0.0.0')
    .action(async (opts) => runAnalyticsService(opts));
}
