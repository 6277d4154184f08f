import { NestFactory } from '@nestjs/core';
import type { Logger, LoggerService, LogLevel } from '@nestjs/common';
import { openEventStore } from '@hypotree/event-store';
import { AnalyticsModule } from './analytics.module.js';
import { AnalyticsService } from './analytics.service.js';
import type { AnalyticsConfig } from './config.js';
import { serveAnalytics } from './http.js';

/** A running analytics service. */
export interface RunningAnalytics {
  /** The base URL it serves, with the port actually bound. */
  url: string;
  port: number;
  analytics: AnalyticsService;
  /** Stops serving, saves the checkpoint, closes the store. */
  stop(): Promise<void>;
}

/** Starts the analytics service: follows the log from its checkpoint and serves the dashboard, the API and the metrics. */
export async function startAnalytics(
  config: AnalyticsConfig,
  options: { logger?: LoggerService | LogLevel[] | false; serviceLogger?: Pick<Logger, 'log' | 'error'> } = {},
): Promise<RunningAnalytics> {
  const store = openEventStore(config.store);
  try {
    const module = AnalyticsModule.register({ store, stateFile: config.stateFile, saveEvery: config.saveEvery, logger: options.serviceLogger });
    const app = await NestFactory.createApplicationContext(module, { logger: options.logger ?? ['log', 'warn', 'error'] });
    const analytics = app.get(AnalyticsService);
    try {
      analytics.start();
      const http = await serveAnalytics(analytics, config.host, config.port);
      const host = http.host.includes(':') ? `[${http.host}]` : http.host;
      return {
        url: `http://${host}:${http.port}`,
        port: http.port,
        analytics,
        async stop() {
          await http.close();
          await app.close();
          await store.close();
        },
      };
    } catch (error) {
      await app.close();
      throw error;
    }
  } catch (error) {
    await store.close();
    throw error;
  }
}
