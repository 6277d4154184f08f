import { z } from 'zod';

/**
 * The sandbox an evaluation's processes ran in, weakest first: `none` (a scrubbed environment
 * only), `isolated` (the pre-allowlist mechanism; old logs only), `allowlist` (bubblewrap: a
 * fresh root with only what was bound in; see libs/workspace/src/sandbox).
 */
export const SandboxKindSchema = z.enum(['none', 'isolated', 'allowlist']);

/** What an evaluation can be trusted for: its sandbox, the spec and evaluator files it ran with, the paths the candidate changed. */
export const IntegritySchema = z.object({
  sandbox: SandboxKindSchema,
  specHash: z.string().min(1),
  evaluatorHash: z.string().min(1),
  changedPaths: z.array(z.string()).optional(),
});

/** How far the search trusts its evaluations, fixed when it starts. */
export const TrustSchema = z.object({
  /** The sandbox of the machine that started the search; admission refuses evidence from a weaker one. */
  sandbox: SandboxKindSchema,
  /** The user let agent and llm implementers run without a sandbox (`--allow-unsandboxed`). */
  allowUnsandboxed: z.boolean(),
});

export type SandboxKind = z.infer<typeof SandboxKindSchema>;
export type Integrity = z.infer<typeof IntegritySchema>;
export type Trust = z.infer<typeof TrustSchema>;

/** Whether `kind` isolates less than `than` (none < isolated < allowlist). */
export function isWeakerSandbox(kind: SandboxKind, than: SandboxKind): boolean {
  const order = SandboxKindSchema.options;
  return order.indexOf(kind) < order.indexOf(than);
}
