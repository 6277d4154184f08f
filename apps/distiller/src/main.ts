import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { securityFromEnv, untilStopped } from '@hypotree/messaging';
import { parseDistillerServiceConfig, type DistillerServiceInput } from './service-config.js';
import { startDistillerService } from './service.js';

/** Runs a distiller service until SIGTERM/SIGINT: `node apps/distiller/dist/main.js --nats nats://… --store esdb://…|sqlite:<file>`. */
export async function serveDistiller(flags: DistillerServiceInput, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const service = await startDistillerService(parseDistillerServiceConfig(flags, env), undefined, securityFromEnv(env));
  await untilStopped(() => service.stop(), new Logger('DistillerService'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { values } = parseArgs({ options: { nats: { type: 'string' }, store: { type: 'string' }, distiller: { type: 'string' }, model: { type: 'string' } } });
    await serveDistiller({ nats: values.nats, store: values.store, distiller: values.distiller, model: values.model });
  } catch (error) {
    console.error(`hypotree distiller: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
