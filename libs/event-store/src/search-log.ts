import {
  decodeEvent,
  encodeEvent,
  searchStreamName,
  type Actor,
  type RecordedSearchEvent,
  type SearchEvent,
} from '@hypotree/events';
import { StreamIntegrityError, StreamNotFoundError } from './errors.js';
import { RevisionSequence } from './integrity.js';
import type { EventStore, EventToAppend } from './port.js';

/** A search event to append, with its id (deterministic where the write may be retried). */
export interface PendingEvent {
  id: string;
  event: SearchEvent;
  /** The event or message that caused it (defaults to the previous event). */
  causationId?: string;
}

/**
 * The typed face of the store for search streams: validates every event on write and on read
 * (through the catalogue's codec) and follows branches back to their parent search. Whatever the
 * store, a stream whose revisions do not run 0, 1, 2, … is refused with StreamIntegrityError
 * (`stream@revision`), so nothing is decided from a log with a hole in it, nor appended on top of one.
 */
export class SearchLog {
  constructor(
    readonly store: EventStore,
    private readonly actor: Actor,
  ) {}

  /**
   * The events of one search's own stream, decoded; an empty list when the stream does not exist.
   * Throws StreamIntegrityError at a missing or out-of-order revision (up to `uptoRevision`).
   */
  async ownEvents(searchId: string, uptoRevision = Infinity): Promise<RecordedSearchEvent[]> {
    const events: RecordedSearchEvent[] = [];
    if (uptoRevision < 0) return events;
    const streamId = searchStreamName(searchId);
    const revisions = new RevisionSequence(streamId);
    try {
      // Read no further than asked: a store checks each event it reads, and a hole after `uptoRevision` is not this read's.
      const options = Number.isFinite(uptoRevision) ? { maxCount: Math.floor(uptoRevision) + 1 } : {};
      for await (const stored of this.store.readStream(streamId, options)) {
        if (stored.revision > uptoRevision) break;
        revisions.check(stored.revision);
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
   * A parent whose stream ends before the branch revision is a gap in the branch's history.
   */
  async history(searchId: string, uptoRevision = Infinity): Promise<RecordedSearchEvent[]> {
    const own = await this.ownEvents(searchId, uptoRevision);
    const first = own[0];
    if (first?.type !== 'SearchBranched') return own;
    const { searchId: parentId, revision } = first.data.parent;
    const parent = await this.history(parentId, revision);
    const parentStream = searchStreamName(parentId);
    const reached = parent.findLast((e) => e.streamId === parentStream)?.revision ?? -1;
    if (reached < revision) {
      throw StreamIntegrityError.gap(parentStream, reached + 1, null, `: branch ${searchId} starts from revision ${revision} of it`);
    }
    return [...parent, ...own];
  }

  /** The ids of the searches in the log, in creation order: listed by the store when it can (no event body read), else from their first events. */
  async searchIds(): Promise<string[]> {
    const prefix = searchStreamName('');
    if (this.store.listStreams) return (await this.store.listStreams(prefix)).map((s) => s.slice(prefix.length));
    const ids: string[] = [];
    for await (const e of this.store.readAll({ filter: { streamPrefix: [prefix], eventTypes: ['SearchStarted', 'SearchBranched'] } })) ids.push(e.streamId.slice(prefix.length));
    return [...new Set(ids)];
  }

  /**
   * A search's family: the search it descends from by branching (its root), and every branch and
   * replay of that root, recursively, each with its history (oldest first). What one of them measured
   * is the family's: a replay reuses it instead of paying again.
   */
  async family(searchId: string): Promise<{ searchId: string; history: RecordedSearchEvent[] }[]> {
    const parents = new Map<string, string | null>();
    for (const id of await this.searchIds()) {
      const first = (await this.ownEvents(id, 0))[0];
      if (first) parents.set(id, first.type === 'SearchBranched' ? first.data.parent.searchId : null);
    }
    const rootOf = (id: string): string => {
      const seen = new Set<string>();
      let at = id;
      while (parents.get(at) && !seen.has(at)) {
        seen.add(at);
        at = parents.get(at)!;
      }
      return at;
    };
    const root = rootOf(searchId);
    const members = [...parents.keys()].filter((id) => rootOf(id) === root);
    return Promise.all(members.map(async (id) => ({ searchId: id, history: await this.history(id) })));
  }

  /**
   * Validates and encodes events for a search stream, after the revision the writer last folded
   * (-1 for a new stream), and returns them exactly as they will be recorded, so the writer can
   * fold them before anything is written. Nothing touches the store. `now` is the writer's clock,
   * stamped on every event (the wall clock by default).
   */
  prepare(searchId: string, expectedRevision: number, pending: PendingEvent[], now?: Date): PreparedAppend {
    const streamId = searchStreamName(searchId);
    let causation = pending[0]?.causationId ?? searchId;
    const encoded = pending.map((p) => {
      const e = encodeEvent(p.event, { searchId, causationId: p.causationId ?? causation, actor: this.actor, now }, p.id);
      causation = p.id;
      return e;
    });
    const recorded = encoded.map((e, i) => decodeEvent({ ...e, streamId, revision: expectedRevision + 1 + i }));
    return { streamId, expectedRevision, encoded, recorded };
  }

  /** Writes a prepared batch with optimistic concurrency; the store refuses it if the stream moved since. */
  async write(batch: PreparedAppend): Promise<void> {
    if (batch.encoded.length === 0) return;
    await this.store.append(batch.streamId, batch.encoded, {
      expectedRevision: batch.expectedRevision < 0 ? 'no-stream' : batch.expectedRevision,
    });
  }

  /** Prepares and writes events in one step and returns them as recorded. */
  async append(searchId: string, expectedRevision: number, pending: PendingEvent[], now?: Date): Promise<RecordedSearchEvent[]> {
    const batch = this.prepare(searchId, expectedRevision, pending, now);
    await this.write(batch);
    return batch.recorded;
  }
}

/** Events validated and encoded for one append, and the same events as they will read back. */
export interface PreparedAppend {
  streamId: string;
  expectedRevision: number;
  encoded: EventToAppend[];
  recorded: RecordedSearchEvent[];
}
