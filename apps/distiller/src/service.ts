import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SearchLog } from '@hypotree/event-store';
import { natsMicroservice } from '@hypotree/messaging';
import { distillerFor } from '@hypotree/research';
import { DistillerModule } from './distiller.module.js';
import type { DistillerServiceConfig } from './service-config.js';
import { openEventStore } from '@hypotree/event-store';

/** A running distiller service. */
export interface DistillerService {
  /** Stops answering (in-flight requests get a moment to reply), then closes the store. */
  stop(): Promise<void>;
}

/**
 * Starts a distiller on NATS: it joins the distillers' queue group (each request reaches one),
 * reads the search from the event store as of the requested revision and replies with lessons.
 */
export async function startDistillerService(config: DistillerServiceConfig, logger: LoggerService | LogLevel[] | false = ['log', 'warn', 'error']): Promise<DistillerService> {
  const store = openEventStore(config.store);
  try {
    const log = new SearchLog(store, { service: 'distiller', instance: config.instance });
    const connection = { servers: config.nats, name: `hypotree-distiller-${config.instance}` };
    const app = await NestFactory.createMicroservice(
      DistillerModule.register({
        log,
        distiller: distillerFor(config.distiller, () => ({ baseURL: config.openaiBaseUrl!, model: config.model!, apiKey: config.openaiApiKey ?? 'not-needed' })),
      }),
      { ...natsMicroservice(connection, { gracePeriodMs: 2_000 }), logger },
    );
    await app.listen();
    new Logger('DistillerService').log(`${config.distiller} distiller answers on ${config.nats.join(', ')}, reading ${redact(config.store)}`);
    return {
      async stop() {
        await app.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

// Connection strings may carry credentials (esdb://user:pass@host): never log them.
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
