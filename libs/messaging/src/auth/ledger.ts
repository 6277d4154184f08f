import { createHash, createHmac, randomBytes } from 'node:crypto';

/** What a report names: the dispatch it answers, the executor it claims to be, and the nonce it echoes. */
export interface ReportClaim {
  searchId: string;
  experimentId: string;
  nodeId: string;
  executorId: string;
  nonce?: string;
  /** The JetStream delivery of the dispatch the executor took (absent on core NATS). */
  delivery?: number;
}

interface Issued {
  searchId: string;
  experimentId: string;
  nodeId: string;
  /** The executor that took it (its first signed report), once one did. */
  executor?: string;
  /** The work-queue delivery that executor took. */
  delivery?: number;
  /** A result was accepted: anything more for this dispatch is a replay. */
  settled: boolean;
}

/**
 * Whether the key named `signer` in the trust list may report as `executorId`: its own name, or
 * `<name>.<instance>` (replicas sharing one key, e.g. a Kubernetes Deployment's pods).
 */
export function speaksFor(signer: string, executorId: string): boolean {
  return executorId === signer || (executorId.startsWith(`${signer}.`) && executorId.length > signer.length + 1);
}

/** Dispatches remembered for replay detection; beyond this the oldest are forgotten (their reports are then refused as unknown). */
const CAPACITY = 100_000;

/**
 * The nonces this coordinator issued with its dispatches, and what became of them. A report is
 * bound to its dispatch: it must echo a nonce issued here for the same search, experiment and
 * node, be signed by the executor it names, come from the executor that took the dispatch, and not
 * follow an accepted result (a replay). The one exception to "the executor that took it": a
 * started report for a later delivery of the same dispatch from the JetStream work queue (the queue
 * gave it to another executor after the first went silent) takes it over.
 *
 * With a `secret` (derived from the coordinator's nkey seed), nonces are an HMAC of the dispatch
 * they belong to: a restarted coordinator with the same key recognises the nonces its predecessor
 * issued, so executors still working on those dispatches are heard. Without one they are random
 * and live in this process.
 */
export class DispatchLedger {
  private readonly issued = new Map<string, Issued>();
  private readonly byExperiment = new Map<string, string[]>();
  private readonly key?: Buffer;

  constructor(options: { secret?: Uint8Array | string } = {}) {
    if (options.secret !== undefined) this.key = createHash('sha256').update('hypotree dispatch nonces\n').update(options.secret).digest();
  }

  /** A nonce for this dispatch, remembered. */
  issue(dispatch: { searchId: string; experimentId: string; nodeId: string }): string {
    const nonce = this.key ? this.derived(dispatch) : randomBytes(18).toString('base64url');
    this.remember(nonce, dispatch);
    return nonce;
  }

  /**
   * Whether a signed report may reach the search: undefined if so (and it is recorded: the first
   * report binds the executor, a result settles the dispatch), else the reason it is refused.
   */
  admit(kind: 'started' | 'heartbeat' | 'result', claim: ReportClaim, signer: string): string | undefined {
    if (!speaksFor(signer, claim.executorId)) return `signed by executor ${signer} but claims to come from ${claim.executorId}`;
    if (!claim.nonce) return `${claim.experimentId}: no nonce (a report must echo its dispatch's nonce)`;
    // A nonce a coordinator with this key issued before a restart.
    const issued = this.issued.get(claim.nonce) ?? (this.key && claim.nonce === this.derived(claim) ? this.remember(claim.nonce, claim) : undefined);
    if (!issued) return `${claim.experimentId}: no dispatch with this nonce (an unknown experiment, or one dispatched before this coordinator started)`;
    if (issued.searchId !== claim.searchId || issued.experimentId !== claim.experimentId || issued.nodeId !== claim.nodeId) {
      return `the nonce was issued for ${issued.searchId} ${issued.experimentId} (node ${issued.nodeId}), not ${claim.searchId} ${claim.experimentId} (node ${claim.nodeId})`;
    }
    if (issued.settled) return `replay: a result for ${claim.experimentId} was already accepted`;
    if (issued.executor !== undefined && issued.executor !== claim.executorId) {
      const takesOver = kind === 'started' && claim.delivery !== undefined && claim.delivery > (issued.delivery ?? 1);
      if (!takesOver) return `${claim.experimentId} was taken by executor ${issued.executor}, not ${claim.executorId}`;
    }
    if (issued.executor !== claim.executorId) issued.delivery = claim.delivery;
    issued.executor = claim.executorId;
    if (kind === 'result') this.settle(claim.searchId, claim.experimentId);
    return undefined;
  }

  /** How many dispatches are remembered. */
  get size(): number {
    return this.issued.size;
  }

  // A result settles every attempt of its experiment: one result per experiment.
  private settle(searchId: string, experimentId: string): void {
    for (const nonce of this.byExperiment.get(`${searchId}\u0000${experimentId}`) ?? []) {
      const issued = this.issued.get(nonce);
      if (issued) issued.settled = true;
    }
  }

  private derived(dispatch: { searchId: string; experimentId: string; nodeId: string }): string {
    return createHmac('sha256', this.key!).update(`${dispatch.searchId}\u0000${dispatch.experimentId}\u0000${dispatch.nodeId}`).digest('base64url').slice(0, 32);
  }

  private remember(nonce: string, dispatch: { searchId: string; experimentId: string; nodeId: string }): Issued {
    const issued: Issued = { searchId: dispatch.searchId, experimentId: dispatch.experimentId, nodeId: dispatch.nodeId, settled: false };
    this.issued.set(nonce, issued);
    const key = `${dispatch.searchId}\u0000${dispatch.experimentId}`;
    this.byExperiment.set(key, [...(this.byExperiment.get(key) ?? []), nonce]);
    if (this.issued.size > CAPACITY) this.forgetOldest();
    return issued;
  }

  private forgetOldest(): void {
    const [nonce, issued] = this.issued.entries().next().value as [string, Issued];
    this.issued.delete(nonce);
    const key = `${issued.searchId}\u0000${issued.experimentId}`;
    const rest = (this.byExperiment.get(key) ?? []).filter((n) => n !== nonce);
    if (rest.length > 0) this.byExperiment.set(key, rest);
    else this.byExperiment.delete(key);
  }
}
