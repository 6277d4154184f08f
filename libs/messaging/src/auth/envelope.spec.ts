import { createUserKey, identityFromSeed, parseTrustList } from './identity.js';
import { open, RefusedMessage, seal, type Signers } from './envelope.js';
import { signersOf } from './signers.js';

const coordinator = identityFromSeed(createUserKey().seed);
const executor = identityFromSeed(createUserKey().seed);
const stranger = identityFromSeed(createUserKey().seed);
const trust = parseTrustList({ coordinator: [coordinator.publicKey], executors: { exA: executor.publicKey }, distillers: [createUserKey().publicKey] });
const signers: Record<string, Signers> = signersOf(trust);
const SUBJECT = 'hypotree.experiment.result';

const reason = (outcome: ReturnType<typeof open>) => (outcome instanceof RefusedMessage ? outcome.reason : `opened: ${JSON.stringify(outcome)}`);

describe('signed messages', () => {
  it('opens a message a trusted key signed for its subject, naming the signer by its trust-list name', () => {
    const message = { experimentId: '1#1', nested: { score: 0.5 } };
    expect(open(seal(executor, SUBJECT, message), SUBJECT, signers.executor!)).toEqual({ message, signer: 'exA' });
  });

  it('refuses a stranger key, another role, an altered body, a moved subject, a broken signature and a non-envelope, each with its reason', () => {
    const sealed = seal(executor, SUBJECT, { score: 0.5 });
    expect(reason(open(seal(stranger, SUBJECT, { score: 0.5 }), SUBJECT, signers.executor!))).toMatch(/^signed by U\w{11}…, which is not a trusted executor key$/);
    expect(reason(open(sealed, SUBJECT, signers.coordinator!))).toMatch(/which is not a trusted coordinator key$/);
    expect(reason(open({ ...sealed, body: JSON.stringify({ score: 0.99 }) }, SUBJECT, signers.executor!))).toBe('the signature of executor exA does not verify (altered, or signed for another subject)');
    expect(reason(open(sealed, 'hypotree.experiment.heartbeat', signers.executor!))).toMatch(/does not verify/);
    expect(reason(open({ ...sealed, sig: 'AAAA' }, SUBJECT, signers.executor!))).toMatch(/does not verify/);
    expect(reason(open({ ...sealed, sig: '!!not base64!!' }, SUBJECT, signers.executor!))).toMatch(/does not verify/);
    for (const bad of [null, undefined, 'text', 42, [], { body: '{}' }, { ...sealed, extra: 1 }]) {
      expect(reason(open(bad, SUBJECT, signers.executor!))).toMatch(/^not a signed message/);
    }
  });

  it('refuses a signed body that is not JSON', () => {
    const sealed = seal(executor, SUBJECT, 'x');
    const forged = { ...sealed, body: 'not json' };
    // Re-sign the broken body with the trusted key, so only the JSON check can refuse it.
    const resigned = { ...forged, sig: executor.sign(Buffer.from(`hypotree/1\n${SUBJECT}\nnot json`)).toString('base64url') };
    expect(reason(open(resigned, SUBJECT, signers.executor!))).toBe('the signed body is not JSON');
  });
});

describe('identities and the trust list', () => {
  it('rejects a seed that is not a user seed, and a trust list with a bad key, naming where', () => {
    expect(() => identityFromSeed('SAAGNOTASEED', 'HYPOTREE_NKEY_FILE /x')).toThrow(/^HYPOTREE_NKEY_FILE \/x is not a NATS user nkey seed/);
    expect(() => identityFromSeed('', 'the seed')).toThrow(/the seed is not a NATS user nkey seed/);
    expect(() => parseTrustList({ coordinator: ['UNOPE'], executors: {}, distillers: [executor.publicKey] }, 'trust.json')).toThrow(/^trust\.json is invalid: coordinator\.0: not a NATS user public key/);
    expect(() => parseTrustList({ coordinator: [], executors: { 'bad id!': executor.publicKey }, distillers: [] })).toThrow(/coordinator: .*; executors.*; distillers/);
  });

  it('signs like nkeys do: the public key it derives is the seed’s own', () => {
    const key = createUserKey();
    expect(identityFromSeed(`${key.seed}\n`).publicKey).toBe(key.publicKey);
  });
});
