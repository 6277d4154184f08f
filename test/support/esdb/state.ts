import { Metadata, status, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { faultError, type Fault } from './errors.js';
import type { Expectation, InMemoryLog } from './log.js';

/** The calls a fault can be injected into. */
export type FaultedOperation = 'append' | 'read' | 'subscribe' | 'delete';

/** Everything the test-only server's handlers share: the log, injected faults, users, live subscriptions. */
export class ServerState {
  /** Milliseconds a BatchAppend reply waits before the write is attempted (so a short deadline passes). */
  writeDelayMs = 0;
  /** Milliseconds a subscription request waits before the server starts it and confirms it. */
  subscribeDelayMs = 0;
  /** How many events finite reads sent (what a server-side filter saves). */
  eventsRead = 0;
  /** How many BatchAppend streams clients opened. */
  batchStreams = 0;
  /** Set once the port is bound: where a NotLeader reply points the client. */
  leader = { host: '127.0.0.1', port: 0 };
  readonly subscriptions = new Set<ServerWritableStream<unknown, unknown>>();
  private readonly faults: { operation: FaultedOperation; fault: Fault; times: number }[] = [];

  constructor(
    readonly log: InMemoryLog,
    /** user → password; admins may read `$all`. Only enforced over TLS, where the client sends credentials. */
    readonly users: Map<string, { password: string; admin: boolean }>,
    readonly secure: boolean,
  ) {}

  /** Makes the next `times` calls of `operation` fail with `fault`. */
  inject(operation: FaultedOperation, fault: Fault, times = 1): void {
    this.faults.push({ operation, fault, times });
  }

  /** The fault the next call of `operation` must fail with, if one was injected. */
  takeFault(operation: FaultedOperation): Fault | undefined {
    const index = this.faults.findIndex((f) => f.operation === operation);
    if (index < 0) return undefined;
    const entry = this.faults[index]!;
    entry.times -= 1;
    if (entry.times <= 0) this.faults.splice(index, 1);
    return entry.fault;
  }

  faultError(fault: Fault): ServiceError {
    return faultError(fault, this.leader) as ServiceError;
  }

  /** Whether the caller may read `$all`: anyone on an insecure server (as EventStoreDB's --insecure), admins over TLS. */
  mayReadAll(metadata: Metadata): boolean {
    if (!this.secure) return true;
    const user = this.user(metadata);
    return user?.admin ?? false;
  }

  /** Ends every live subscription with UNAVAILABLE, as a node that restarts or loses leadership does. */
  dropSubscriptions(): number {
    const calls = [...this.subscriptions];
    this.subscriptions.clear();
    for (const call of calls) call.emit('error', { code: status.UNAVAILABLE, details: 'Server Is Not Ready' });
    return calls.length;
  }

  wrongVersionMetadata(streamId: string, expected: Expectation, current: string): Metadata {
    const metadata = new Metadata();
    metadata.set('exception', 'wrong-expected-version');
    metadata.set('stream-name', streamId);
    metadata.set('expected-version', typeof expected === 'bigint' ? expected.toString() : '-1');
    if (current !== 'no-stream') metadata.set('actual-version', current);
    return metadata;
  }

  private user(metadata: Metadata): { admin: boolean } | undefined {
    const header = metadata.get('authorization')[0];
    if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined;
    const [name, password] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    const user = this.users.get(name ?? '');
    return user && user.password === password ? user : undefined;
  }
}
