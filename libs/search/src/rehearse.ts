import { decodeEvent, encodeEvent, searchStreamName } from '@hypotree/events';
import type { PendingEvent } from '@hypotree/event-store';
import { fold, type SearchTree } from '@hypotree/tree';

const REHEARSAL = { service: 'search-decider', instance: 'rehearsal' };

/**
 * Why `pending` could not follow the tree (the catalogue or the fold refuses it), or undefined when
 * it can: the events are encoded and folded as they would be recorded, and nothing is kept.
 */
export function refusal(tree: SearchTree, searchId: string, pending: PendingEvent[], now: Date): string | undefined {
  try {
    const streamId = searchStreamName(searchId);
    const recorded = pending.map((p, i) =>
      decodeEvent({ ...encodeEvent(p.event, { searchId, causationId: p.causationId ?? searchId, actor: REHEARSAL, now }, p.id), streamId, revision: tree.revision + 1 + i }),
    );
    fold(recorded, tree);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
