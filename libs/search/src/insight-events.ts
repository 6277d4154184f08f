import type { SearchEvent } from '@hypotree/events';
import type { PendingEvent } from '@hypotree/event-store';
import type { DistillReply } from '@hypotree/messaging';
import type { SearchTree } from '@hypotree/tree';

export interface InsightEventOptions {
  /** The deterministic event id for a key. */
  id: (...key: string[]) => string;
  /** The decision that caused the distillation. */
  cause?: string;
  /** Why these events could not follow the log, or undefined when they can. */
  refusal: (events: PendingEvent[]) => string | undefined;
  warn: (message: string) => void;
}

/**
 * The events that record a distiller's reply: each draft as InsightDistilled plus InsightSuperseded
 * for the active insights it replaces. A draft the log would refuse (unknown node, duplicate id)
 * or that cites evidence the search does not hold is dropped with its reason, never written.
 */
export function insightEvents(tree: SearchTree, drafts: DistillReply['drafts'], options: InsightEventOptions): PendingEvent[] {
  const known = new Set([...tree.nodes.values()].flatMap((n) => [n.result?.eventId, n.failure?.eventId, n.decision?.eventId, n.gate?.eventId]));
  const pending: PendingEvent[] = [];
  for (const draft of drafts) {
    if (tree.insights.has(draft.insightId)) continue; // already recorded: redistilling is idempotent
    const { supersedes, supersedeReason, ...insight } = draft;
    const batch: PendingEvent[] = [{ id: options.id('insight', draft.insightId), causationId: options.cause, event: { type: 'InsightDistilled', data: insight } }];
    for (const old of supersedes) {
      const id = options.id('superseded', old);
      if (!tree.insights.get(old)?.active || pending.some((p) => p.id === id)) continue;
      const event: SearchEvent = { type: 'InsightSuperseded', data: { insightId: old, supersededBy: draft.insightId, reason: supersedeReason ?? 'a newer lesson with more evidence' } };
      batch.push({ id, causationId: options.cause, event });
    }
    const unknown = draft.evidence.filter((id) => !known.has(id));
    const problem = unknown.length > 0 ? `its evidence ${unknown.join(', ')} is not a result, gate or decision of this search` : options.refusal([...pending, ...batch]);
    if (problem) options.warn(`dropped insight ${draft.insightId} from the distiller: ${problem}`);
    else pending.push(...batch);
  }
  return pending;
}
