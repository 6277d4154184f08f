import path from 'node:path';
import { Logger } from '@nestjs/common';
import type { Command } from 'commander';
import { parseAnalyticsConfig, startAnalytics } from '@hypotree/analytics';
import { defaultStoreUrl } from '@hypotree/event-store';
import { untilStopped } from '@hypotree/messaging';

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
    .action(async (opts) => {
      const config = parseAnalyticsConfig({
        store: opts.store ?? defaultStoreUrl(opts.workdir),
        host: opts.host,
        port: opts.port,
        stateFile: opts.state ?? path.join(opts.workdir, 'analytics-state.json'),
      });
      const logger = new Logger('Analytics');
      const running = await startAnalytics(config);
      logger.log(`serving ${running.url} (dashboard /, /api/searches, /metrics, /events); checkpoint ${config.stateFile}`);
      await untilStopped(() => running.stop(), logger);
    });
}
