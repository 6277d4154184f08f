import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SearchLog } from '@hypotree/event-store';
import { natsMicroservice, Patterns, signersOf, warnOpenBus, type BusSecurity } from '@hypotree/messaging';
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
 * With `security` it connects with its nkey, answers only requests a trusted coordinator signed,
 * and signs its replies (which echo the request's nonce); without, it warns once that the bus is open.
 */
export async function startDistillerService(
  config: DistillerServiceConfig,
  logger: LoggerService | LogLevel[] | false = ['log', 'warn', 'error'],
  security?: BusSecurity,
): Promise<DistillerService> {
  if (security && !security.trust.distillers.includes(security.identity.publicKey)) {
    throw new Error(`distiller ${config.instance}: its nkey (${security.identity.publicKey.slice(0, 12)}…) is not under distillers in the trust list; add it, or use the seed made for the distiller`);
  }
  if (!security) warnOpenBus(new Logger('DistillerService'), config.nats);
  const store = openEventStore(config.store);
  try {
    const log = new SearchLog(store, { service: 'distiller', instance: config.instance });
    const connection = { servers: config.nats, name: `hypotree-distiller-${config.instance}` };
    const app = await NestFactory.createMicroservice(
      DistillerModule.register({
        log,
        distiller: distillerFor(config.distiller, () => ({ baseURL: config.openaiBaseUrl!, model: config.model!, apiKey: config.openaiApiKey ?? 'not-needed' })),
      }),
      {
        ...natsMicroservice(connection, {
          gracePeriodMs: 2_000,
          identity: security?.identity,
          repliesTo: Patterns.distill,
          inbound: security ? { signers: { [Patterns.distill]: signersOf(security.trust).coordinator } } : undefined,
        }),
        logger,
      },
    );
    await app.listen();
    new Logger('DistillerService').log(`${config.distiller} distiller answers on ${config.nats.join(', ')} (${security ? 'signed' : 'open bus'}), reading ${redact(config.store)}`);
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
