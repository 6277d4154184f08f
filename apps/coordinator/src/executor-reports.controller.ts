import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  ExperimentHeartbeatSchema,
  ExperimentResultMessageSchema,
  ExperimentStartedMessageSchema,
  parseMessage,
  Patterns,
} from '@hypotree/messaging';
import { SearchRuns } from './search-runs.js';

/** Executor reports in: validate against the contract, hand to the search's loop. A bad message is logged and dropped. */
@Controller()
export class ExecutorReportsController {
  private readonly logger = new Logger(ExecutorReportsController.name);

  constructor(@Inject(SearchRuns) private readonly runs: SearchRuns) {}

  @EventPattern(Patterns.experimentStarted)
  started(@Payload() payload: unknown): void {
    this.accept(() => ({ kind: 'started', message: parseMessage(ExperimentStartedMessageSchema, Patterns.experimentStarted, payload) }));
  }

  @EventPattern(Patterns.experimentHeartbeat)
  heartbeat(@Payload() payload: unknown): void {
    this.accept(() => ({ kind: 'heartbeat', message: parseMessage(ExperimentHeartbeatSchema, Patterns.experimentHeartbeat, payload) }));
  }

  @EventPattern(Patterns.experimentResult)
  result(@Payload() payload: unknown): void {
    this.accept(() => ({ kind: 'result', message: parseMessage(ExperimentResultMessageSchema, Patterns.experimentResult, payload) }));
  }

  private accept(parse: () => Parameters<SearchRuns['deliver']>[0]): void {
    try {
      this.runs.deliver(parse());
    } catch (error) {
      this.logger.warn((error as Error).message);
    }
  }
}
