import { IncomingRequestDeserializer, type IncomingEvent, type IncomingRequest } from '@nestjs/microservices';
import { open, RefusedMessage, type Signers } from '../auth/envelope.js';

/** The part of a NATS message this deserializer reads. */
interface NatsPayload {
  data: Uint8Array;
  string(): string;
}

/** The largest message a service accepts (bytes); larger ones are refused before they are parsed. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** What a secured service accepts: who must have signed each subject, and a further check of what they signed. */
export interface InboundPolicy {
  /** Subject → the role whose trusted keys must sign its messages. */
  signers: Record<string, Signers>;
  /** A further check of a signed message (the coordinator binds reports to its dispatches): undefined admits it, else the reason it is refused. */
  admit?(subject: string, message: unknown, signer: string): string | undefined;
}

/**
 * Nest's NATS request deserializer, made strict: a message over MAX_MESSAGE_BYTES is refused unread;
 * a payload which is not JSON reaches the handler as its text, so the handler's contract rejects it
 * with a logged reason instead of the transport throwing; and on a secured service, a message on a
 * subject of the policy reaches the handler only if a trusted key of its role signed it (and the
 * policy admits it): anything else arrives as a RefusedMessage, which `parseMessage` rejects with
 * its reason, so it changes no state.
 */
export class ContractDeserializer extends IncomingRequestDeserializer {
  constructor(
    private readonly policy?: InboundPolicy,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {
    super();
  }

  override deserialize(value: NatsPayload, options?: Record<string, unknown>): IncomingRequest | IncomingEvent | Promise<IncomingRequest | IncomingEvent> {
    const channel = options?.channel as string;
    const signers = this.policy?.signers[channel];
    if (value.data.length > this.maxBytes) {
      return { pattern: channel, data: new RefusedMessage(`oversized: ${value.data.length} bytes (the limit is ${this.maxBytes})`) };
    }
    const text = value.string();
    let decoded: unknown;
    try {
      decoded = JSON.parse(text);
    } catch {
      return { pattern: channel, data: signers ? new RefusedMessage(`not JSON: ${text.slice(0, 120)}`) : `not JSON: ${text.slice(0, 120)}` };
    }
    const packet = super.deserialize(decoded, options) as IncomingRequest | IncomingEvent;
    if (!signers) return packet;
    const opened = open(packet.data, channel, signers);
    if (opened instanceof RefusedMessage) return { ...packet, data: opened };
    const refusal = this.policy?.admit?.(channel, opened.message, opened.signer);
    return { ...packet, data: refusal === undefined ? opened.message : new RefusedMessage(refusal) };
  }
}
