import type { RunReply, ScorerMessage } from '@hypotree/scorer';
import { z } from 'zod';

/** The scorer's messages as hypotree accepts them (see `@hypotree/scorer`'s protocol); anything else is a protocol error. */
export const ScorerMessageSchema: z.ZodType<ScorerMessage> = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('run'),
    id: z.number().int().nonnegative(),
    command: z.string().min(1),
    args: z.array(z.string()),
    input: z.string(),
    timeoutSec: z.number().positive().optional(),
    maxOutputBytes: z.number().int().positive().optional(),
    allowFailure: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('metric'), metric: z.string().min(1), value: z.number().finite() }),
  z.strictObject({ type: z.literal('reject-output'), detail: z.string() }),
]);

/** One line of the channel, parsed and checked; the reason names what is wrong. */
export function parseScorerLine(line: string): { ok: true; message: ScorerMessage } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    return { ok: false, reason: `not JSON (${(err as Error).message}): ${line.slice(0, 120)}` };
  }
  const parsed = ScorerMessageSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ') };
  return { ok: true, message: parsed.data };
}

/** Encodes a reply to the scorer. */
export function replyLine(reply: RunReply): string {
  return `${JSON.stringify(reply)}\n`;
}
