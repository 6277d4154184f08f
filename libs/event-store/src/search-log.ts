import {
  decodeEvent,
  encodeEvent,
  searchStreamName,
  type Actor,
  type RecordedSearchEvent,
  type SearchEvent,
} from '@hypotree/events';
import { StreamNotFoundError } from './errors.js';
import type { EventStore } from './port.js';

/** A search event to append, with its id (deterministic where the write may be retried). */
export interface PendingEvent {
  id: string;
  event: SearchEvent;
  /** The event or message that caused it (defaults to the previous event). */
  causationId?: string;
}

/**
 * The typed face of the store for search streams: validates every event on write and on read
 * (through the catalogue's codec) and follows branches back to their parent search.
 */
export class SearchLog {
  constructor(
    readonly store: EventStore,
    private readonly actor: Actor,
  ) {}

  /** The events of one search's own stream, decoded; an empty list when the stream does not exist. */
  async ownEvents(searchId: string, uptoRevision = Infinity): Promise<RecordedSearchEvent[]> {
    const events: RecordedSearchEvent[] = [];
    try {
      for await (const stored of this.store.readStream(searchStreamName(searchId))) {
        if (stored.revision > uptoRevision) break;
        events.push(decodeEvent(stored));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /**
   * Everything needed to project a search: for a branch, its parent's history up to the branch
   * revision (recursively), then its own events. Folding the list in order gives the search's tree.
   */
  async history(searchId: string, uptoRevision = Infinity): Promise<RecordedSearchEvent[]> {
    const own = await this.ownEvents(searchId, uptoRevision);
    const first = own[0];
    if (first?.type !== 'SearchBranched') return own;
    const parent = await this.history(first.data.parent.searchId, first.data.parent.revision);
    return [...parent, ...own];
  }

  /**
   * Appends events to a search stream with optimistic concurrency (`expectedRevision` is the
   * revision of the last event the writer folded, -1 for a new stream) and returns them as recorded.
   */
  async append(searchId: string, expectedRevision: number, pending: PendingEvent[]): Promise<RecordedSearchEvent[]> {
    if (pending.length === 0) return [];
    const streamId = searchStreamName(searchId);
    let causation = pending[0]!.causationId ?? searchId;
    const encoded = pending.map((p) => {
      const e = encodeEvent(p.event, { searchId, causationId: p.causationId ?? causation, actor: this.actor }, p.id);
      causation = p.id;
      return e;
    });
    const result = await this.store.append(streamId, encoded, {
      expectedRevision: expectedRevision < 0 ? 'no-stream' : expectedRevision,
    });
    const firstRevision = result.nextExpectedRevision - encoded.length + 1;
    return encoded.map((e, i) => decodeEvent({ ...e, streamId, revision: firstRevision + i }));
  }
}
