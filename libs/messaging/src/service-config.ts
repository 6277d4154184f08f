import { issueList } from '@hypotree/events';
import type { z } from 'zod';

/** Where a service setting comes from: an environment variable and, usually, a flag. */
export interface SettingSource {
  env: string;
  flag?: string;
}

/**
 * A service's configuration from its flags and environment (flags win; empty values count as
 * unset), validated once at start-up: one error lists every bad field with the flag or variable
 * that sets it.
 */
export function parseServiceConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  sources: Record<string, SettingSource>,
  flags: Record<string, string | number | undefined>,
  env: NodeJS.ProcessEnv,
): z.infer<S> {
  const input: Record<string, unknown> = {};
  for (const [key, source] of Object.entries(sources)) {
    const value = flags[key] !== undefined && flags[key] !== '' ? flags[key] : env[source.env];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const where = (path: PropertyKey[]) => {
      const source = sources[String(path[0])];
      return source ? [source.flag, source.env].filter(Boolean).join(' / ') : path.map(String).join('.');
    };
    throw new Error(`invalid ${service} configuration: ${issueList(parsed.error, { where }).join('; ')}`);
  }
  return parsed.data;
}
