import 'reflect-metadata';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { defaultStoreUrl } from '@hypotree/event-store';
import { untilStopped } from '@hypotree/messaging';
import { parseAnalyticsConfig } from './config.js';
import { startAnalytics } from './service.js';

/** What `serveAnalytics` takes: the workdir gives the defaults of the store and the checkpoint file. */
export interface AnalyticsFlags {
  store?: string;
  workdir?: string;
  port?: string;
  host?: string;
  state?: string;
}

/** Runs the analytics service until SIGTERM/SIGINT: `node apps/analytics/dist/main.js [--store URL] [--workdir DIR] [--port N] [--host H] [--state FILE]`. */
export async function runAnalyticsService(flags: AnalyticsFlags): Promise<void> {
  const workdir = flags.workdir ?? '.hypotree';
  const config = parseAnalyticsConfig({
    store: flags.store ?? defaultStoreUrl(workdir),
    host: flags.host ?? '127.0.0.1',
    port: flags.port ?? '7070',
    stateFile: flags.state ?? path.join(workdir, 'analytics-state.json'),
  });
  const logger = new Logger('Analytics');
  const running = await startAnalytics(config);
  logger.log(`serving ${running.url} (dashboard /, /api/searches, /metrics, /events); checkpoint ${config.stateFile}`);
  await untilStopped(() => running.stop(), logger);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { values } = parseArgs({ options: { store: { type: 'string' }, workdir: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, state: { type: 'string' } } });
    await runAnalyticsService(values);
  } catch (error) {
    console.error(`hypotree analytics: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
