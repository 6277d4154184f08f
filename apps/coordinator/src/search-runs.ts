import { Injectable, Logger } from '@nestjs/common';
import type { ExecutorReport } from '@hypotree/search';
import type { SearchRun } from './search-run.js';

/** The searches this coordinator drives, by id; routes executor messages to their loop. */
@Injectable()
export class SearchRuns {
  private readonly logger = new Logger(SearchRuns.name);
  private readonly runs = new Map<string, SearchRun>();

  /** Registers a running search so its executor messages reach it. */
  add(run: SearchRun): void {
    this.runs.set(run.searchId, run);
  }

  /** Unregisters a finished search. */
  remove(searchId: string): void {
    this.runs.delete(searchId);
  }

  /** Hands a validated message to the search it names; messages for searches not running here are dropped with a warning. */
  deliver(message: ExecutorReport): void {
    const run = this.runs.get(message.message.searchId);
    if (!run) {
      this.logger.warn(`no running search ${message.message.searchId} for ${message.kind} of ${message.message.experimentId}`);
      return;
    }
    run.deliver(message);
  }
}
