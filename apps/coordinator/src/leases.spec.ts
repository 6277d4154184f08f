import { Leases } from './leases.js';

// Leases decide when a silent executor's experiment is given up and re-dispatched: a lease that
// lasts longer than leaseMs keeps a dead executor's node waiting; a shorter one re-runs live work.

describe('experiment leases', () => {
  const LEASE = 60_000;
  const t0 = 1_000_000;

  it('run out exactly at the deadline they were armed with, not a millisecond earlier', () => {
    const leases = new Leases(LEASE);
    leases.arm('1#1', t0 + LEASE);
    expect(leases.expired(t0 + LEASE - 1)).toEqual([]);
    expect(leases.expired(t0 + LEASE)).toEqual(['1#1']);
    expect(leases.size).toBe(1);
  });

  it('run for leaseMs again from each report, not from the first dispatch and not longer', () => {
    const leases = new Leases(LEASE);
    leases.arm('1#1', t0 + LEASE);
    leases.refresh('1#1', t0 + 50_000);
    expect(leases.expired(t0 + LEASE)).toEqual([]);
    expect(leases.expired(t0 + 50_000 + LEASE - 1)).toEqual([]);
    expect(leases.expired(t0 + 50_000 + LEASE)).toEqual(['1#1']);
  });

  it('hold an experiment whose result arrived until the loop records it', () => {
    const leases = new Leases(LEASE);
    leases.arm('1#1', t0 + LEASE);
    leases.refresh('1#1', t0 + 10, true);
    expect(leases.expired(t0 + 100 * LEASE)).toEqual([]);
    leases.release('1#1');
    expect(leases.size).toBe(0);
    expect(leases.ids()).toEqual([]);
  });

  it('ignore a report for an experiment that holds no lease (already recorded, or of another coordinator)', () => {
    const leases = new Leases(LEASE);
    leases.refresh('9#1', t0);
    expect(leases.size).toBe(0);
    expect(leases.expired(t0 + 10 * LEASE)).toEqual([]);
  });

  it('tell how long until the next one runs out, never less than the floor', () => {
    const leases = new Leases(LEASE);
    leases.arm('1#1', t0 + LEASE);
    leases.arm('2#1', t0 + 30_000);
    expect(leases.ids()).toEqual(['1#1', '2#1']);
    expect(leases.msUntilNext(t0)).toBe(30_000);
    expect(leases.msUntilNext(t0 + 29_995)).toBe(10);
    expect(leases.msUntilNext(t0 + 40_000)).toBe(10);
    expect(leases.msUntilNext(t0 + 40_000, 0)).toBe(0);
    expect(leases.expired(t0 + 40_000)).toEqual(['2#1']);
  });

  it('hold a dispatch waiting in a work queue without a deadline until its executor first reports; then it runs for leaseMs', () => {
    const leases = new Leases(LEASE);
    leases.hold('1#1');
    expect(leases.held).toBe(1);
    expect(leases.heldIds()).toEqual(['1#1']);
    expect(leases.expired(t0 + 100 * LEASE)).toEqual([]);
    // A wait on held dispatches alone is finite (the loop looks at the queue now and then).
    expect(leases.msUntilNext(t0, 10, 5_000)).toBe(5_000);
    leases.refresh('1#1', t0);
    expect(leases.held).toBe(0);
    expect(leases.expired(t0 + LEASE - 1)).toEqual([]);
    expect(leases.expired(t0 + LEASE)).toEqual(['1#1']);
  });

  it('expire at once a dispatch the transport gave up on (dead-lettered), held or not', () => {
    const leases = new Leases(LEASE);
    leases.hold('1#1');
    leases.arm('2#1', t0 + LEASE);
    leases.expire('1#1', t0);
    leases.expire('2#1', t0);
    leases.expire('3#1', t0); // unknown: nothing happens
    expect(leases.expired(t0)).toEqual(['1#1', '2#1']);
    expect(leases.held).toBe(0);
    expect(leases.size).toBe(2);
  });
});
