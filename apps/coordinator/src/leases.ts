/**
 * Leases of the experiments in flight: a deadline per experiment, pushed back whenever its executor
 * reports. Reports refresh a lease the moment they arrive (not when the loop gets to them), so a
 * long gate run or model call in the coordinator never expires an executor that kept reporting.
 */
export class Leases {
  private readonly deadlines = new Map<string, number>();

  constructor(private readonly leaseMs: number) {}

  /** Starts (or restarts) an experiment's lease at `deadline`. */
  arm(experimentId: string, deadline: number): void {
    this.deadlines.set(experimentId, deadline);
  }

  /** A report arrived: the lease runs from now again; a result holds it until the loop records it. */
  refresh(experimentId: string, now: number, result = false): void {
    if (this.deadlines.has(experimentId)) this.deadlines.set(experimentId, result ? Infinity : now + this.leaseMs);
  }

  /** Ends an experiment's lease (its outcome is recorded). */
  release(experimentId: string): void {
    this.deadlines.delete(experimentId);
  }

  /** Experiments in flight. */
  get size(): number {
    return this.deadlines.size;
  }

  /** The ids of experiments in flight. */
  ids(): string[] {
    return [...this.deadlines.keys()];
  }

  /** Experiments whose lease ran out by `now`. */
  expired(now: number): string[] {
    return [...this.deadlines].filter(([, deadline]) => deadline <= now).map(([id]) => id);
  }

  /** Milliseconds until the next lease runs out (at least `floor`). */
  msUntilNext(now: number, floor = 10): number {
    return Math.max(floor, Math.min(...this.deadlines.values()) - now);
  }
}
