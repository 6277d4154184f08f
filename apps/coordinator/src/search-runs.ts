import { Injectable, Logger } from '@nestjs/common';
import type { ExecutorReport } from '@hypotree/search';
import type { SearchRun } from './search-run.js';

/** Checks a result before it reaches its search: undefined admits it, else the reason it is refused. */
export type ResultCheck = (message: Extract<ExecutorReport, { kind: 'result' }>['message']) => Promise<string | undefined>;

/** The searches this coordinator drives, by id; routes executor messages to their loop. */
@Injectable()
export class SearchRuns {
  private readonly logger = new Logger(SearchRuns.name);
  private readonly runs = new Map<string, { run: SearchRun; admitResult?: ResultCheck }>();

  /**
   * Registers a running search so its executor messages reach it. With `admitResult`, a result is
   * handed over only once the check passes (it imports the result's commit); a refusal is logged
   * and changes nothing (the experiment's lease then brings it back).
   */
  add(run: SearchRun, admitResult?: ResultCheck): void {
    this.runs.set(run.searchId, { run, admitResult });
  }

  /** Unregisters a finished search. */
  remove(searchId: string): void {
    this.runs.delete(searchId);
  }

  /** Hands a validated message to the search it names; messages for searches not running here are dropped with a warning. */
  deliver(message: ExecutorReport): void {
    const entry = this.runs.get(message.message.searchId);
    if (!entry) {
      this.logger.warn(`no running search ${message.message.searchId} for ${message.kind} of ${message.message.experimentId}`);
      return;
    }
    const { run, admitResult } = entry;
    if (message.kind !== 'result' || !admitResult) return run.deliver(message);
    void admitResult(message.message).then(
      (refusal) => (refusal === undefined ? run.deliver(message) : this.logger.warn(`rejected hypotree.experiment.result: ${message.message.experimentId}: ${refusal}`)),
      (error: unknown) => this.logger.warn(`rejected hypotree.experiment.result: ${message.message.experimentId}: ${(error as Error).message}`),
    );
  }
}
