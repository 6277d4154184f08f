import type { Serializer } from '@nestjs/microservices';
import { open, RefusedMessage, seal, type Signers } from '../auth/envelope.js';
import type { ServiceIdentity } from '../auth/identity.js';
import { MAX_MESSAGE_BYTES } from './deserializer.js';

// Request/reply (distill) on a secured bus: the answering service signs every reply packet, and
// the asking client accepts a reply only if a trusted key of the answering role signed it and it
// echoes the nonce of a request still waiting. A reply that fails either check is logged and
// ignored (not an error), so a forger cannot even make the request fail: the genuine reply still counts.

/** The subject a reply to `pattern` is signed for (never published on; it keeps request and reply signatures apart). */
export const replySubject = (pattern: string) => `${pattern}#reply`;

/** The packet a reply is (Nest's response packet, signed). */
interface ReplyPacket {
  id?: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
  status?: string;
}

/** Signs the replies of a service that answers `pattern`. */
export class SealingSerializer implements Serializer {
  constructor(
    private readonly identity: ServiceIdentity,
    private readonly pattern: string,
  ) {}

  serialize(packet: ReplyPacket): { data: string } {
    const { id, ...reply } = packet;
    return { data: JSON.stringify({ id, sealed: seal(this.identity, replySubject(this.pattern), reply) }) };
  }
}

/** A reply Nest ignores (its id answers no request). */
const IGNORED = { id: '(refused reply)' };

/**
 * Opens signed replies to `pattern` for a client: a reply from a trusted key of `signers` that
 * echoes a pending nonce is passed on; any other is logged (`onRefused`) and ignored.
 */
export class SealedReplyDeserializer {
  constructor(
    private readonly pattern: string,
    private readonly signers: Signers,
    private readonly pending: ReadonlySet<string>,
    private readonly onRefused: (reason: string) => void,
  ) {}

  deserialize(value: { data: Uint8Array; string(): string }): ReplyPacket {
    const refuse = (reason: string) => {
      this.onRefused(`refused a reply to ${this.pattern}: ${reason}`);
      return IGNORED;
    };
    if (value.data.length > MAX_MESSAGE_BYTES) return refuse(`oversized: ${value.data.length} bytes (the limit is ${MAX_MESSAGE_BYTES})`);
    let packet: { id?: unknown; sealed?: unknown };
    try {
      packet = JSON.parse(value.string()) as typeof packet;
    } catch {
      return refuse('not JSON');
    }
    if (typeof packet !== 'object' || packet === null || typeof packet.id !== 'string') return refuse('not a reply packet');
    const opened = open(packet.sealed, replySubject(this.pattern), this.signers);
    if (opened instanceof RefusedMessage) return refuse(opened.reason);
    const reply = opened.message as ReplyPacket;
    if (typeof reply !== 'object' || reply === null) return refuse('the signed reply is not an object');
    if (reply.response !== undefined) {
      const nonce = (reply.response as { nonce?: unknown } | null)?.nonce;
      if (typeof nonce !== 'string' || !this.pending.has(nonce)) return refuse(`${this.signers.role} ${opened.signer}'s reply echoes no pending request's nonce (a replay, or an answer that came too late)`);
    }
    return { id: packet.id, response: reply.response, err: reply.err, isDisposed: reply.isDisposed, status: reply.status };
  }
}
