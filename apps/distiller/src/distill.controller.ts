import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { DISTILLER_QUEUE, DistillRequestSchema, parseMessage, Patterns, type DistillReply } from '@hypotree/messaging';
import { DistillService } from './distill.service.js';

/**
 * Answers distill requests: validate, distill, reply. A malformed request, or a distiller that
 * failed (a model without a valid reply, an endpoint not there), is answered with an error that
 * says why (not Nest's bare "Internal server error"), and changes nothing. On a secured bus a
 * request a trusted coordinator did not sign arrives refused, and is answered with that reason.
 */
@Controller()
export class DistillController {
  constructor(@Inject(DistillService) private readonly service: DistillService) {}

  @MessagePattern(Patterns.distill, { queue: DISTILLER_QUEUE })
  async distill(@Payload() payload: unknown): Promise<DistillReply> {
    try {
      const request = parseMessage(DistillRequestSchema, Patterns.distill, payload);
      const reply = await this.service.distill(request);
      // On a secured bus the reply echoes the request's nonce (and the transport signs it whole).
      return request.nonce === undefined ? reply : { ...reply, nonce: request.nonce };
    } catch (error) {
      throw new RpcException((error as Error).message);
    }
  }
}
