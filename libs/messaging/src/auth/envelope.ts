import crypto, { type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { verifyingKey, type ServiceIdentity } from './identity.js';

// A signed message: the message as JSON text, the signer's public key and an ed25519 signature of
// the subject and that text. Signing the exact text (not a re-serialised object) needs no
// canonical JSON; signing the subject stops a signed heartbeat being replayed as a result.

/** A message as it travels signed. */
export const EnvelopeSchema = z.strictObject({
  signer: z.string().min(1).max(64),
  sig: z.string().min(1).max(128),
  body: z.string(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

const signedBytes = (subject: string, body: string) => Buffer.from(`hypotree/1\n${subject}\n${body}`);

/** Signs `message` for `subject` with the service's key. */
export function seal(identity: ServiceIdentity, subject: string, message: unknown): Envelope {
  const body = JSON.stringify(message);
  return { signer: identity.publicKey, sig: identity.sign(signedBytes(subject, body)).toString('base64url'), body };
}

/** A message the transport refused (not signed, signed by a stranger, not bound to a dispatch…); handlers log its reason and change nothing. */
export class RefusedMessage {
  constructor(readonly reason: string) {}
}

/** Who may sign on a subject: the role's name for messages, and the name a trusted key goes by (undefined: not trusted). */
export interface Signers {
  role: string;
  nameOf(publicKey: string): string | undefined;
}

const keys = new Map<string, KeyObject>();
function keyOf(publicKey: string): KeyObject {
  let key = keys.get(publicKey);
  if (!key) {
    key = verifyingKey(publicKey);
    keys.set(publicKey, key);
  }
  return key;
}

/** An opened envelope: the message and the name of the trusted key that signed it. */
export interface Opened {
  message: unknown;
  signer: string;
}

/** Checks an envelope for `subject` against the trusted `signers`; the message it carries, or a RefusedMessage saying why not. */
export function open(data: unknown, subject: string, signers: Signers): Opened | RefusedMessage {
  const envelope = EnvelopeSchema.safeParse(data);
  if (!envelope.success) return new RefusedMessage('not a signed message (expected {signer, sig, body}); is the sender configured with an nkey?');
  const { signer, sig, body } = envelope.data;
  const name = signers.nameOf(signer);
  if (name === undefined) return new RefusedMessage(`signed by ${signer.slice(0, 12)}…, which is not a trusted ${signers.role} key`);
  let verified = false;
  try {
    verified = crypto.verify(null, signedBytes(subject, body), keyOf(signer), Buffer.from(sig, 'base64url'));
  } catch {
    verified = false;
  }
  if (!verified) return new RefusedMessage(`the signature of ${signers.role} ${name} does not verify (altered, or signed for another subject)`);
  try {
    return { message: JSON.parse(body) as unknown, signer: name };
  } catch {
    return new RefusedMessage('the signed body is not JSON');
  }
}
