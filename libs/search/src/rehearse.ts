import { decodeEvent, encodeEvent, searchStreamName, type RecordedSearchEvent } from '@hypotree/events';
import type { PendingEvent } from '@hypotree/event-store';
import { fold, type SearchTree } from '@hypotree/tree';

const REHEARSAL = { service: 'search-decider', instance: 'rehearsal' };

/** The events as the log would record them after `tree`: encoded, validated by the catalogue and decoded again. */
export function rehearse(tree: SearchTree, searchId: string, pending: readonly PendingEvent[], now: Date): RecordedSearchEvent[] {
  const streamId = searchStreamName(searchId);
  return pending.map((p, i) =>
    decodeEvent({ ...encodeEvent(p.event, { searchId, causationId: p.causationId ?? searchId, actor: REHEARSAL, now }, p.id), streamId, revision: tree.revision + 1 + i }),
  );
}

/**
 * Why `pending` could not follow the tree (the catalogue or the fold refuses it), or undefined when
 * it can: the events are encoded and folded as they would be recorded, and nothing is kept.
 */
export function refusal(tree: SearchTree, searchId: string, pending: PendingEvent[], now: Date): string | undefined {
  try {
    fold(rehearse(tree, searchId, pending, now), tree);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
