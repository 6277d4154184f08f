import { createHash } from 'node:crypto';
import type { TaskSpec } from './schema.js';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Stable sha256 of a validated spec: key order and machine paths do not change it. */
export function specHash(spec: TaskSpec): string {
  return createHash('sha256').update(canonical(spec)).digest('hex');
}
