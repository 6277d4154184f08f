import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DispatchExperimentSchema, EXECUTOR_QUEUE, parseMessage, Patterns } from '@hypotree/messaging';
import { ExperimentRunner } from './experiment-runner.js';

/** Takes experiment dispatches (one executor of the queue group gets each); validates, hands over, returns. */
@Controller()
export class ExecutorController {
  private readonly logger = new Logger(ExecutorController.name);

  constructor(@Inject(ExperimentRunner) private readonly runner: ExperimentRunner) {}

  @EventPattern(Patterns.dispatchExperiment, { queue: EXECUTOR_QUEUE })
  dispatch(@Payload() payload: unknown): void {
    try {
      this.runner.accept(parseMessage(DispatchExperimentSchema, Patterns.dispatchExperiment, payload));
    } catch (error) {
      this.logger.warn((error as Error).message);
    }
  }
}
