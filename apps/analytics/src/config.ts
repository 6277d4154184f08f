import { z } from 'zod';
import { issueText } from '@hypotree/events';
import { StoreUrlSchema } from '@hypotree/event-store';

/** The analytics service's configuration, validated once at start. */
export const AnalyticsConfigSchema = z.object({
  store: StoreUrlSchema,
  host: z.string().min(1, 'a host to bind is required (127.0.0.1 by default)'),
  port: z.coerce.number().int('the port must be an integer').min(0).max(65535, 'the port must be 0–65535 (0: a free port)'),
  stateFile: z.string().min(1, 'a state file is required'),
  saveEvery: z.coerce.number().int().positive().default(100),
});

/** A validated analytics configuration. */
export type AnalyticsConfig = z.infer<typeof AnalyticsConfigSchema>;

/** Validates the configuration; one error lists every bad field. */
export function parseAnalyticsConfig(input: unknown): AnalyticsConfig {
  const parsed = AnalyticsConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new Error(`invalid analytics configuration: ${issueText(parsed.error)}`);
}
