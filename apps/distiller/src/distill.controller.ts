import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DISTILLER_QUEUE, DistillRequestSchema, parseMessage, Patterns, type DistillReply } from '@hypotree/messaging';
import { DistillService } from './distill.service.js';

/** Answers distill requests: validate, distill, reply. A malformed request is answered with an error and changes nothing. */
@Controller()
export class DistillController {
  constructor(@Inject(DistillService) private readonly service: DistillService) {}

  @MessagePattern(Patterns.distill, { queue: DISTILLER_QUEUE })
  distill(@Payload() payload: unknown): Promise<DistillReply> {
    return this.service.distill(parseMessage(DistillRequestSchema, Patterns.distill, payload));
  }
}
