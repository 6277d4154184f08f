import { StreamIntegrityError } from './errors.js';

/**
 * Checks one stream read in order against what the store promises: revisions 0, 1, 2, … (from `first`),
 * each exactly once. Throws StreamIntegrityError naming `stream@revision` at the first gap or step back.
 */
export class RevisionSequence {
  private next: number;

  constructor(
    readonly streamId: string,
    /** The revision the read starts at (0: the start of the stream). */
    first = 0,
    /** -1 when reading backwards. */
    private readonly step: 1 | -1 = 1,
  ) {
    this.next = first;
  }

  /** The revision expected next. */
  get expected(): number {
    return this.next;
  }

  check(revision: number): void {
    if (revision === this.next) {
      this.next += this.step;
      return;
    }
    const previous = this.next - this.step;
    // Forwards a larger revision means ones were skipped; backwards a smaller one does.
    if ((revision - this.next) * this.step > 0) throw StreamIntegrityError.gap(this.streamId, this.next, revision);
    if (revision === previous) throw new StreamIntegrityError(this.streamId, revision, 'out-of-order', `revision ${revision} comes twice`);
    throw StreamIntegrityError.outOfOrder(this.streamId, revision, previous, this.step === 1 ? 'comes after' : 'comes before');
  }
}

/**
 * Checks streams as they appear in a read of the whole log (in the order events were written): within each
 * stream revisions must rise; with `complete` (no type filter) by exactly one, and from 0 when the read starts
 * at the start of the log. A read that starts mid-log cannot know what came before a stream's first event there.
 */
export class LogRevisionCheck {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly fromStart: boolean,
    /** Every event of a stream passes the read's filter (no type filter). */
    private readonly complete: boolean,
  ) {}

  check(streamId: string, revision: number): void {
    const last = this.last.get(streamId);
    if (last === undefined) {
      if (this.fromStart && this.complete && revision !== 0) throw StreamIntegrityError.gap(streamId, 0, revision);
    } else if (revision <= last) {
      throw StreamIntegrityError.outOfOrder(streamId, revision, last, 'was written after');
    } else if (this.complete && revision !== last + 1) {
      throw StreamIntegrityError.gap(streamId, last + 1, revision);
    }
    this.last.set(streamId, revision);
  }
}
