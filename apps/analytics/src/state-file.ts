import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FailureKindSchema, issueText } from '@hypotree/events';
import type { SearchProjection } from './metrics.js';

/** What the analytics service persists: the log position it has applied up to, and every search's projection at that position. */
export interface AnalyticsState {
  position?: string;
  searches: Record<string, SearchProjection>;
}

const count = z.number().int().nonnegative();
const MetricsSchema = z.object({
  searchId: z.string(),
  task: z.string().optional(),
  direction: z.enum(['maximize', 'minimize']).optional(),
  branchedFrom: z.object({ searchId: z.string(), revision: z.number().int() }).optional(),
  revision: z.number().int(),
  status: z.enum(['started', 'completed', 'tested', 'failed']),
  experiments: count,
  failures: z.partialRecord(FailureKindSchema, count),
  admitted: count,
  rejected: count,
  gateEvaluations: count,
  insights: count,
  tokens: count,
  best: z.object({ nodeId: z.string(), dev: z.number() }).optional(),
  stopReason: z.string().optional(),
  relativeGain: z.number().optional(),
  error: z.string().optional(),
});
const StateSchema = z.object({
  position: z.string().optional(),
  searches: z.record(z.string(), z.object({ metrics: MetricsSchema, undecided: z.record(z.string(), z.number()) })),
});

/** Reads the state file; an absent file is an empty state, a corrupt one an error naming the file. */
export function loadState(file: string): AnalyticsState {
  if (!existsSync(file)) return { searches: {} };
  const parsed = StateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file}: not an analytics state file (${issueText(parsed.error)}); move it away to rebuild from the start of the log`);
  }
  return parsed.data;
}

/** Writes the state atomically: a temporary file beside it, then a rename over it. */
export function saveState(file: string, state: AnalyticsState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}
