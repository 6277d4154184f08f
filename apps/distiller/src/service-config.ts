import os from 'node:os';
import { NatsServersSchema, parseServiceConfig, type SettingSource } from '@hypotree/messaging';
import { z } from 'zod';
import { StoreUrlSchema } from '@hypotree/event-store';

/** A long-lived distiller service's configuration, validated once at start-up. */
export const DistillerServiceConfigSchema = z
  .object({
    nats: NatsServersSchema,
    store: StoreUrlSchema,
    distiller: z.enum(['offline', 'llm']).default('offline'),
    model: z.string().min(1).optional(),
    openaiBaseUrl: z.string().url().optional(),
    openaiApiKey: z.string().optional(),
    instance: z.string().min(1).default(() => `${os.hostname()}-${process.pid}`),
  })
  .superRefine(
    (config, ctx) => {
      if (config?.distiller !== 'llm') return;
      if (!config.model) ctx.addIssue({ code: 'custom', path: ['model'], message: 'the llm distiller needs a model' });
      if (!config.openaiBaseUrl) ctx.addIssue({ code: 'custom', path: ['openaiBaseUrl'], message: 'the llm distiller needs an OpenAI-compatible endpoint' });
    },
    // Also when other fields are bad, so one error lists every problem.
    { when: () => true },
  );
export type DistillerServiceConfig = z.infer<typeof DistillerServiceConfigSchema>;
/** The raw settings, from flags or the environment, before validation. */
export type DistillerServiceInput = { [K in keyof DistillerServiceConfig]?: string };

const SOURCES: Record<keyof DistillerServiceConfig, SettingSource> = {
  nats: { flag: '--nats', env: 'HYPOTREE_NATS_URL' },
  store: { flag: '--store', env: 'HYPOTREE_STORE' },
  distiller: { flag: '--distiller', env: 'HYPOTREE_DISTILLER' },
  model: { flag: '--model', env: 'HYPOTREE_MODEL' },
  openaiBaseUrl: { env: 'OPENAI_BASE_URL' },
  openaiApiKey: { env: 'OPENAI_API_KEY' },
  instance: { env: 'HYPOTREE_INSTANCE' },
};

/** Validates a distiller's settings (flags win over the environment); one error lists every bad field and where to set it. */
export function parseDistillerServiceConfig(fromFlags: DistillerServiceInput, env: NodeJS.ProcessEnv = process.env): DistillerServiceConfig {
  return parseServiceConfig('distiller', DistillerServiceConfigSchema, SOURCES, fromFlags, env);
}
