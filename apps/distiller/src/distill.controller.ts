import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { DISTILLER_QUEUE, DistillRequestSchema, parseMessage, Patterns, type DistillReply } from '@hypotree/messaging';
import { DistillService } from './distill.service.js';

/**
 * Answers distill requests: validate, distill, reply. A malformed request, or a distiller that
 * failed (a model without a valid reply, an endpoint not there), is answered with an error that
 * says why (not Nest's bare "Internal server error"), and changes nothing.
 */
@Controller()
export class DistillController {
  constructor(@Inject(DistillService) private readonly service: DistillService) {}

  @MessagePattern(Patterns.distill, { queue: DISTILLER_QUEUE })
  async distill(@Payload() payload: unknown): Promise<DistillReply> {
    try {
      return await this.service.distill(parseMessage(DistillRequestSchema, Patterns.distill, payload));
    } catch (error) {
      throw new RpcException((error as Error).message);
    }
  }
}
