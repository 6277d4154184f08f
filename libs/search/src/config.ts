import { ImplementerConfigSchema } from '@hypotree/messaging';
import { issueText } from '@hypotree/events';
import { PolicyParamsSchema } from '@hypotree/policy';
import { z } from 'zod';

/** The default gate budget as a share of the experiments budget (the baseline's gate call included). */
export const GATE_SHARE = 0.5;

/** Everything a search runs with, validated once at start-up. */
export const SearchConfigSchema = z.object({
  /** Path of the task folder or its hypotree.task.json. */
  task: z.string().min(1),
  searchId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, - and _').optional(),
  budget: z
    .object({
      experiments: z.number().int().positive().default(24),
      parallel: z.number().int().positive().default(2),
      /** Default: `GATE_SHARE` of the experiments (12 for 24), so a larger search can verify more. */
      gateEvaluations: z.number().int().nonnegative().optional(),
      wallClockMs: z.number().int().positive().optional(),
      tokens: z.number().int().positive().optional(),
    })
    .prefault({})
    .transform((budget) => ({ ...budget, gateEvaluations: budget.gateEvaluations ?? Math.ceil(budget.experiments * GATE_SHARE) })),
  seed: z.number().int().default(1),
  policies: PolicyParamsSchema.prefault({}),
  research: z
    .object({
      proposer: z.enum(['offline', 'random', 'tpe', 'llm']).default('offline'),
      distiller: z.enum(['offline', 'llm']).default('offline'),
      implementer: ImplementerConfigSchema.default({ kind: 'params' }),
      insights: z.boolean().default(true),
      model: z.string().optional(),
    })
    .prefault({}),
  /** Let agent and llm implementers run where there is no sandbox (recorded in SearchStarted). */
  allowUnsandboxed: z.boolean().default(false),
  /** How long an executor may stay silent before its experiment is re-dispatched. */
  leaseMs: z.number().int().positive().default(120_000),
  /** Re-dispatches after expired leases before the experiment counts as crashed. */
  maxAttempts: z.number().int().positive().default(3),
  /** hypotree's working folder: the artifact repo, worktrees, the SQLite log. */
  workdir: z.string().min(1).default('.hypotree'),
});
export type SearchConfig = z.infer<typeof SearchConfigSchema>;
export type SearchConfigInput = z.input<typeof SearchConfigSchema>;

/** Parses a search configuration; one error lists every bad field. */
export function parseSearchConfig(input: SearchConfigInput): SearchConfig {
  const parsed = SearchConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`invalid search configuration: ${issueText(parsed.error)}`);
  }
  return parsed.data;
}
