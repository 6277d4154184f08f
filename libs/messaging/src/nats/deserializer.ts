import { IncomingRequestDeserializer, type IncomingEvent, type IncomingRequest } from '@nestjs/microservices';

/** The part of a NATS message this deserializer reads. */
interface NatsPayload {
  string(): string;
}

/**
 * Nest's NATS request deserializer, except that a payload which is not JSON is handed to the
 * handler as its text instead of throwing inside the transport: the handler's contract then
 * rejects it with a logged reason, like any other malformed message.
 */
export class ContractDeserializer extends IncomingRequestDeserializer {
  override deserialize(value: NatsPayload, options?: Record<string, unknown>): IncomingRequest | IncomingEvent | Promise<IncomingRequest | IncomingEvent> {
    const text = value.string();
    let decoded: unknown;
    try {
      decoded = JSON.parse(text);
    } catch {
      return { pattern: options?.channel as string, data: `not JSON: ${text.slice(0, 120)}` };
    }
    return super.deserialize(decoded, options);
  }
}
