import { DispatchLedger } from './ledger.js';

const dispatch = { searchId: 's', experimentId: '1#1', nodeId: '1' };
const report = (nonce: string | undefined, over: Partial<typeof dispatch & { executorId: string; delivery: number }> = {}) => ({ ...dispatch, executorId: 'exA', nonce, ...over });

describe('DispatchLedger: reports bound to their dispatch', () => {
  it('admits started, heartbeats and one result from the executor that took the dispatch, then refuses anything more as a replay', () => {
    const ledger = new DispatchLedger();
    const nonce = ledger.issue(dispatch);
    expect(ledger.admit('started', report(nonce), 'exA')).toBeUndefined();
    expect(ledger.admit('heartbeat', report(nonce), 'exA')).toBeUndefined();
    expect(ledger.admit('result', report(nonce), 'exA')).toBeUndefined();
    expect(ledger.admit('result', report(nonce), 'exA')).toBe('replay: a result for 1#1 was already accepted');
    expect(ledger.admit('heartbeat', report(nonce), 'exA')).toBe('replay: a result for 1#1 was already accepted');
  });

  it('refuses a report without a nonce, with an unknown nonce, with a nonce of another experiment, or from an impostor', () => {
    const ledger = new DispatchLedger();
    const nonce = ledger.issue(dispatch);
    const other = ledger.issue({ ...dispatch, experimentId: '2#1', nodeId: '2' });
    expect(ledger.admit('result', report(undefined), 'exA')).toBe('1#1: no nonce (a report must echo its dispatch\'s nonce)');
    expect(ledger.admit('result', report('made-up'), 'exA')).toMatch(/^1#1: no dispatch with this nonce/);
    expect(ledger.admit('result', report(other), 'exA')).toBe('the nonce was issued for s 2#1 (node 2), not s 1#1 (node 1)');
    expect(ledger.admit('result', report(nonce, { searchId: 'other' }), 'exA')).toMatch(/^the nonce was issued for s 1#1/);
    expect(ledger.admit('result', report(nonce, { executorId: 'exA' }), 'exB')).toBe('signed by executor exB but claims to come from exA');
    // None of these refusals bound or settled the dispatch: the genuine executor's result still counts.
    expect(ledger.admit('result', report(nonce), 'exA')).toBeUndefined();
  });

  it('binds a dispatch to the executor that reported on it first; another trusted executor cannot answer for it', () => {
    const ledger = new DispatchLedger();
    const nonce = ledger.issue(dispatch);
    expect(ledger.admit('started', report(nonce), 'exA')).toBeUndefined();
    expect(ledger.admit('result', report(nonce, { executorId: 'exB' }), 'exB')).toBe('1#1 was taken by executor exA, not exB');
    expect(ledger.admit('result', report(nonce), 'exA')).toBeUndefined();
  });

  it('replicas sharing a key report as <name>.<instance>; each binds the dispatch it took', () => {
    const ledger = new DispatchLedger();
    const nonce = ledger.issue(dispatch);
    expect(ledger.admit('started', report(nonce, { executorId: 'pool.pod-1' }), 'pool')).toBeUndefined();
    expect(ledger.admit('result', report(nonce, { executorId: 'pool.pod-2' }), 'pool')).toBe('1#1 was taken by executor pool.pod-1, not pool.pod-2');
    expect(ledger.admit('result', report(nonce, { executorId: 'pool.' }), 'pool')).toBe('signed by executor pool but claims to come from pool.');
    expect(ledger.admit('result', report(nonce, { executorId: 'poolside' }), 'pool')).toBe('signed by executor pool but claims to come from poolside');
    expect(ledger.admit('result', report(nonce, { executorId: 'pool.pod-1' }), 'pool')).toBeUndefined();
  });

  it('a result settles every attempt of the experiment, and nonces are fresh each time', () => {
    const ledger = new DispatchLedger();
    const first = ledger.issue(dispatch);
    const again = ledger.issue(dispatch);
    expect(again).not.toBe(first);
    expect(first).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(ledger.admit('result', report(again), 'exA')).toBeUndefined();
    expect(ledger.admit('result', report(first), 'exA')).toBe('replay: a result for 1#1 was already accepted');
  });

  it('a later JetStream delivery of the dispatch takes it over from the executor that went silent; an earlier or equal one cannot', () => {
    const ledger = new DispatchLedger();
    const nonce = ledger.issue(dispatch);
    expect(ledger.admit('started', report(nonce, { delivery: 1 }), 'exA')).toBeUndefined();
    // exB got the same delivery (a replayed copy): refused; a result cannot take over either.
    expect(ledger.admit('started', report(nonce, { executorId: 'exB', delivery: 1 }), 'exB')).toBe('1#1 was taken by executor exA, not exB');
    expect(ledger.admit('result', report(nonce, { executorId: 'exB', delivery: 2 }), 'exB')).toBe('1#1 was taken by executor exA, not exB');
    // The queue redelivered it to exB after exA's ack wait ran out: exB's started report takes it over.
    expect(ledger.admit('started', report(nonce, { executorId: 'exB', delivery: 2 }), 'exB')).toBeUndefined();
    expect(ledger.admit('heartbeat', report(nonce, { delivery: 1 }), 'exA')).toBe('1#1 was taken by executor exB, not exA');
    expect(ledger.admit('started', report(nonce, { delivery: 2 }), 'exA')).toBe('1#1 was taken by executor exB, not exA');
    expect(ledger.admit('result', report(nonce, { executorId: 'exB', delivery: 2 }), 'exB')).toBeUndefined();
    expect(ledger.admit('result', report(nonce, { delivery: 1 }), 'exA')).toBe('replay: a result for 1#1 was already accepted');
  });

  it('with a secret, nonces are an HMAC of the dispatch: a new ledger with the same secret (a restarted coordinator) admits them; another secret does not', () => {
    const secret = new TextEncoder().encode('SUAEXAMPLESEED');
    const before = new DispatchLedger({ secret });
    const nonce = before.issue(dispatch);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(before.issue(dispatch)).toBe(nonce);
    expect(before.issue({ ...dispatch, experimentId: '1#2' })).not.toBe(nonce);
    const after = new DispatchLedger({ secret });
    expect(after.admit('started', report(nonce), 'exA')).toBeUndefined();
    expect(after.admit('result', report(nonce), 'exA')).toBeUndefined();
    expect(after.admit('result', report(nonce), 'exA')).toBe('replay: a result for 1#1 was already accepted');
    // The nonce of one dispatch does not speak for another, and another key's ledger knows none of them.
    expect(new DispatchLedger({ secret }).admit('result', report(nonce, { experimentId: '2#1', nodeId: '2' }), 'exA')).toMatch(/^2#1: no dispatch with this nonce/);
    expect(new DispatchLedger({ secret: 'another key' }).admit('result', report(nonce), 'exA')).toMatch(/^1#1: no dispatch with this nonce/);
    expect(new DispatchLedger().admit('result', report(nonce), 'exA')).toMatch(/^1#1: no dispatch with this nonce/);
  });
});
