/**
 * Leases of the experiments in flight: a deadline per experiment, pushed back whenever its executor
 * reports. Reports refresh a lease the moment they arrive (not when the loop gets to them), so a
 * long gate run or model call in the coordinator never expires an executor that kept reporting.
 */
export class Leases {
  private readonly deadlines = new Map<string, number>();
  /** Dispatches waiting in a work queue for an executor's first report. */
  private readonly waiting = new Set<string>();

  constructor(private readonly leaseMs: number) {}

  /** Starts (or restarts) an experiment's lease at `deadline`. */
  arm(experimentId: string, deadline: number): void {
    this.deadlines.set(experimentId, deadline);
    this.waiting.delete(experimentId);
  }

  /** A report arrived: the lease runs from now again; a result holds it until the loop records it. */
  refresh(experimentId: string, now: number, result = false): void {
    if (!this.deadlines.has(experimentId)) return;
    this.deadlines.set(experimentId, result ? Infinity : now + this.leaseMs);
    this.waiting.delete(experimentId);
  }

  /** Ends an experiment's lease now (the transport gave up on it). */
  expire(experimentId: string, now: number): void {
    if (!this.deadlines.has(experimentId)) return;
    this.deadlines.set(experimentId, now);
    this.waiting.delete(experimentId);
  }

  /** Ends an experiment's lease (its outcome is recorded). */
  release(experimentId: string): void {
    this.deadlines.delete(experimentId);
    this.waiting.delete(experimentId);
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

  /** Holds an experiment whose dispatch waits in a work queue: its lease starts with its executor's first report. */
  hold(experimentId: string): void {
    this.deadlines.set(experimentId, Infinity);
    this.waiting.add(experimentId);
  }

  /** Experiments held for an executor that has not reported yet (see `hold`). */
  get held(): number {
    return this.waiting.size;
  }

  /** The ids of the held experiments. */
  heldIds(): string[] {
    return [...this.waiting];
  }

  /** Milliseconds until the next lease runs out (at least `floor`, at most `ceiling`: a wait on held dispatches only is finite). */
  msUntilNext(now: number, floor = 10, ceiling = 60_000): number {
    return Math.min(ceiling, Math.max(floor, Math.min(...this.deadlines.values()) - now));
  }
}
