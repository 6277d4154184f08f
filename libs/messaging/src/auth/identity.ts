import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { nkeys } from '@nats-io/transport-node';
import { z } from 'zod';
import { issueList } from '@hypotree/events';

// A service's identity on the bus is one NATS user nkey: its seed authenticates the connection
// (the server checks the public key and applies that user's subject permissions) and signs every
// message the service sends; the trust list names the public keys of each role. nkeys are ed25519
// keys, so messages are signed and verified with node:crypto (~0.1 ms) rather than nkeys' pure-JS
// signer (~10 ms), and the signatures are the same.

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(text: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text) {
    const digit = BASE32.indexOf(char);
    if (digit < 0) throw new Error(`not base32: ${JSON.stringify(char)}`);
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** Whether `key` is a NATS user public key (`U…`, checksum valid). */
export function isUserPublicKey(key: string): boolean {
  try {
    return key.startsWith('U') && nkeys.fromPublic(key).getPublicKey() === key;
  } catch {
    return false;
  }
}

/** The ed25519 public key inside a NATS user public key. */
export function verifyingKey(publicKey: string): KeyObject {
  if (!isUserPublicKey(publicKey)) throw new Error(`not a NATS user public key: ${JSON.stringify(publicKey.slice(0, 60))}`);
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base32(publicKey).subarray(1, 33).toString('base64url') }, format: 'jwk' });
}

/** A service's own key: authenticates to NATS and signs what the service sends. */
export interface ServiceIdentity {
  /** The NATS user public key (`U…`), as the trust list and the server config name it. */
  readonly publicKey: string;
  /** The nkey seed, for NATS' nkey authenticator. */
  readonly seed: Uint8Array;
  /** An ed25519 signature of `data`. */
  sign(data: Buffer): Buffer;
}

/** The identity behind a NATS user nkey seed (`SU…`); throws naming `where` if it is not one. */
export function identityFromSeed(seedText: string, where = 'the nkey seed'): ServiceIdentity {
  const text = seedText.trim();
  let publicKey: string;
  try {
    if (!text.startsWith('SU')) throw new Error('a user seed starts with SU');
    publicKey = nkeys.fromSeed(new TextEncoder().encode(text)).getPublicKey();
  } catch (error) {
    throw new Error(`${where} is not a NATS user nkey seed (${(error as Error).message}); make one with node deploy/keys.mjs`);
  }
  const privateKey = crypto.createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: base32(text).subarray(2, 34).toString('base64url'), x: base32(publicKey).subarray(1, 33).toString('base64url') },
    format: 'jwk',
  });
  return { publicKey, seed: new TextEncoder().encode(text), sign: (data) => crypto.sign(null, data, privateKey) };
}

/** A fresh NATS user nkey: its seed (secret) and public key. */
export function createUserKey(): { seed: string; publicKey: string } {
  const pair = nkeys.createUser();
  return { seed: new TextDecoder().decode(pair.getSeed()), publicKey: pair.getPublicKey() };
}

const PublicKeySchema = z.string().refine(isUserPublicKey, 'not a NATS user public key (U…)');

/** Which public keys speak for which role; every service reads the same list (it holds no secret). */
export const TrustListSchema = z.strictObject({
  /** Keys that may dispatch experiments and ask for distillations. */
  coordinator: z.array(PublicKeySchema).min(1),
  /** Executor id → its key: a report is accepted only from the key of the executor it names. */
  executors: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), PublicKeySchema),
  /** Keys whose distill replies are accepted. */
  distillers: z.array(PublicKeySchema).min(1),
  /** Keys of analytics services (they read the event store; on NATS they may only listen). */
  analytics: z.array(PublicKeySchema).default([]),
});
export type TrustList = z.infer<typeof TrustListSchema>;

/** A trust list, validated; throws naming `where` and every bad field. */
export function parseTrustList(value: unknown, where = 'the trust list'): TrustList {
  const parsed = TrustListSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${where} is invalid: ${issueList(parsed.error, { root: '(list)' }).join('; ')}`);
  return parsed.data;
}

/** A service's security on NATS: its own identity and the trust list. */
export interface BusSecurity {
  identity: ServiceIdentity;
  trust: TrustList;
}

/** Where the credentials are configured. */
export const SECURITY_ENV = { seed: 'HYPOTREE_NKEY_FILE', trust: 'HYPOTREE_TRUST_FILE' } as const;

/**
 * The service's security from `HYPOTREE_NKEY_FILE` (its nkey seed) and `HYPOTREE_TRUST_FILE` (the
 * trust list, JSON): undefined when neither is set (an open bus), else both, read and checked now.
 */
export function securityFromEnv(env: NodeJS.ProcessEnv = process.env): BusSecurity | undefined {
  const seedFile = env[SECURITY_ENV.seed] || undefined;
  const trustFile = env[SECURITY_ENV.trust] || undefined;
  if (!seedFile && !trustFile) return undefined;
  if (!seedFile || !trustFile) {
    throw new Error(`${seedFile ? SECURITY_ENV.trust : SECURITY_ENV.seed} is not set: a secured service needs both ${SECURITY_ENV.seed} (its nkey seed) and ${SECURITY_ENV.trust} (the trust list)`);
  }
  const read = (file: string, name: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read ${name} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  const identity = identityFromSeed(read(seedFile, SECURITY_ENV.seed), `${SECURITY_ENV.seed} ${seedFile}`);
  let trustJson: unknown;
  try {
    trustJson = JSON.parse(read(trustFile, SECURITY_ENV.trust));
  } catch (error) {
    if ((error as Error).message.startsWith('cannot read')) throw error;
    throw new Error(`${SECURITY_ENV.trust} ${trustFile} is not JSON: ${(error as Error).message}`);
  }
  return { identity, trust: parseTrustList(trustJson, `${SECURITY_ENV.trust} ${trustFile}`) };
}

/** The executor id a key belongs to in the trust list, if any. */
export function executorOfKey(trust: TrustList, publicKey: string): string | undefined {
  return Object.entries(trust.executors).find(([, key]) => key === publicKey)?.[0];
}
