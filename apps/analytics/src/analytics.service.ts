import { Logger } from '@nestjs/common';
import { MalformedEventError, SearchLog, type EventStore, type StoredEvent, type Subscription } from '@hypotree/event-store';
import { decodeEvent, EventValidationError, type RecordedSearchEvent } from '@hypotree/events';
import { evolve, markError, searchIdOf, type SearchMetrics } from './metrics.js';
import { loadState, saveState, type AnalyticsState } from './state-file.js';

/** Where the service reads, where it keeps its checkpoint, and how often it writes it. */
export interface AnalyticsOptions {
  store: EventStore;
  stateFile: string;
  /** Write the state file after this many applied events (and always on close). */
  saveEvery: number;
  logger?: Pick<Logger, 'log' | 'error'>;
}

/** Called with a search's metrics each time they change, and the log position of the change. */
export type MetricsListener = (metrics: SearchMetrics, position: string | undefined) => void;

/** Recent changes kept to answer a reconnecting SSE client (`Last-Event-ID`); older ones get every search. */
const RECENT_CHANGES = 10_000;

/**
 * Follows the search streams of the log from a stored checkpoint and keeps every search's metrics.
 * The checkpoint and the metrics are saved together, so a restart resumes without counting an event twice.
 */
export class AnalyticsService {
  private state: AnalyticsState = { searches: {} };
  private subscription?: Subscription;
  private following?: Promise<void>;
  private sinceSave = 0;
  private readonly listeners = new Set<MetricsListener>();
  /** The log positions of the latest changes, oldest first, and of each search's latest (positions are opaque: only their order here counts). */
  private readonly recent: { position: string; searchId: string }[] = [];
  private readonly lastChange = new Map<string, string>();
  private readonly logger: Pick<Logger, 'log' | 'error'>;

  constructor(private readonly options: AnalyticsOptions) {
    this.logger = options.logger ?? new Logger('AnalyticsService');
  }

  /** Loads the checkpoint and starts following the log after it. */
  start(): void {
    this.state = loadState(this.options.stateFile);
    const from = this.state.position === undefined ? 'start' : { position: this.state.position };
    const subscription = this.options.store.subscribeToAll({
      from,
      filter: { streamPrefix: ['search-'] },
      onCheckpoint: (position) => {
        this.state.position = position;
      },
    });
    this.subscription = subscription;
    this.following = this.follow(subscription);
  }

  /** Every search's metrics, by search id. */
  searches(): SearchMetrics[] {
    return Object.values(this.state.searches)
      .map((s) => s.metrics)
      .sort((a, b) => a.searchId.localeCompare(b.searchId));
  }

  /** The log position of a search's latest change seen by this process (absent: before it started). */
  positionOf(searchId: string): string | undefined {
    return this.lastChange.get(searchId) ?? this.state.position;
  }

  /**
   * The metrics of the searches that changed after a log position this process handed out (an SSE
   * message's id), or undefined when it does not know that position (too old, or from another run):
   * the caller then sends every search.
   */
  changedSince(position: string): SearchMetrics[] | undefined {
    const at = this.recent.findLastIndex((c) => c.position === position);
    if (at < 0) return undefined;
    const ids = new Set(this.recent.slice(at + 1).map((c) => c.searchId));
    return this.searches().filter((m) => ids.has(m.searchId));
  }

  /** Subscribes to metric changes; returns the unsubscribe function. */
  onChange(listener: MetricsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following and saves the checkpoint. */
  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    if (!subscription) return;
    await subscription.close();
    await this.following;
    saveState(this.options.stateFile, this.state);
  }

  private async follow(subscription: Subscription): Promise<void> {
    try {
      for await (const stored of subscription) this.apply(stored);
    } catch (error) {
      if (!this.subscription) return;
      if (error instanceof MalformedEventError && error.revision !== null) {
        // The store cannot hand back this record (nor a position to resume after it): following stops here.
        this.record(searchIdOf(error.streamId), error.revision, `${error.streamId}@${error.revision}: ${error.reason}`);
      }
      this.logger.error(`stopped following the log: ${(error as Error).message}`);
    }
  }

  private apply(stored: StoredEvent): void {
    const searchId = searchIdOf(stored.streamId);
    this.state.position = stored.position;
    try {
      const event = decodeEvent(stored);
      const searches = this.state.searches;
      searches[searchId] = evolve(searches[searchId], event, (id) => searches[id]?.metrics);
      this.changed(searchId);
    } catch (error) {
      const reason = error instanceof EventValidationError ? `${error.type}: ${error.problems.join('; ')}` : (error as Error).message;
      this.record(searchId, stored.revision, `${stored.streamId}@${stored.revision}: ${reason}`);
    }
    this.sinceSave += 1;
    if (this.sinceSave >= this.options.saveEvery) this.save();
  }

  private record(searchId: string, revision: number, error: string): void {
    this.logger.error(`search ${searchId}: unreadable event ${error}`);
    this.state.searches[searchId] = markError(this.state.searches[searchId], searchId, revision, error);
    this.changed(searchId);
  }

  private changed(searchId: string): void {
    const metrics = this.state.searches[searchId]!.metrics;
    const { position } = this.state;
    if (position !== undefined) {
      this.recent.push({ position, searchId });
      if (this.recent.length > RECENT_CHANGES) this.recent.splice(0, this.recent.length - RECENT_CHANGES);
      this.lastChange.set(searchId, position);
    }
    for (const listener of this.listeners) listener(metrics, position);
  }

  /** A search's history as the log holds it now (empty when there is no such search). */
  async history(searchId: string): Promise<RecordedSearchEvent[]> {
    return new SearchLog(this.options.store, { service: 'analytics', instance: 'api' }).history(searchId);
  }

  private save(): void {
    saveState(this.options.stateFile, this.state);
    this.sinceSave = 0;
  }
}
