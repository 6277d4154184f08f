import { nanos, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type Consumer, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { MAX_MESSAGE_BYTES } from '../nats/deserializer.js';

// Dispatches through a JetStream work queue: the coordinator publishes each dispatch (signed, as on
// core NATS) into a work-queue stream; executors share one durable pull consumer and pull only when
// they have a free slot, so a dispatch published while no executor listens waits in the stream
// instead of vanishing. An executor acks a dispatch once its result is reported, keeps it with
// `working()` while the experiment runs, and naks it when it stops. A dispatch that is delivered
// `maxDeliver` times without an ack (its executors kept dying) goes to the dead-letter stream, and
// the coordinator records its experiment as failed. The lease events in the log stay the
// coordinator's own record of who is working on what.

/**
 * Runs a JetStream operation until the broker answers it: while the broker restarts, calls fail
 * (no responders, timeouts), so they are tried again with backoff (125 ms doubling to 2 s) for up
 * to `patienceMs`; the first failure is said once. The error after the last try names `what`.
 */
export async function untilAnswered<T>(what: string, operation: () => Promise<T>, log: { warn(message: string): void }, patienceMs = 300_000): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const reason = `${what} failed: ${(error as Error).message}`;
      if (Date.now() >= deadline || !retriable(error)) throw new Error(attempt > 1 ? `${reason} (for ${Math.round(patienceMs / 1000)} s)` : reason);
      if (attempt === 1) log.warn(`${reason}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 125 * 2 ** attempt)));
    }
  }
}

// Failures a broker restart causes; anything else (a permission, a malformed request) is final.
function retriable(error: unknown): boolean {
  return !/permission|authori[sz]ation|over the .*limit|not the .* it was named by|is not in the/i.test((error as Error)?.message ?? '');
}

/** The names of the streams, the consumer and the subjects. */
export const WORK_QUEUE = {
  stream: 'HYPOTREE_DISPATCH',
  subject: 'hypotree.work.dispatch',
  consumer: 'hypotree-executors',
  deadStream: 'HYPOTREE_DEAD',
  deadSubject: 'hypotree.work.dead',
} as const;

/** How long a delivered dispatch is kept for its executor, and how often it is delivered before it is dead-lettered. */
export interface WorkQueueSettings {
  /** Without an ack or a `working()` for this long, the dispatch goes to another executor. */
  ackWaitMs: number;
  /** Deliveries before a dispatch is dead-lettered (and its experiment recorded as failed). */
  maxDeliver: number;
}

/** The default: redelivered after 30 s of silence, dead-lettered after 3 deliveries. */
export const DEFAULT_WORK_QUEUE: WorkQueueSettings = { ackWaitMs: 30_000, maxDeliver: 3 };

/**
 * The settings for a search whose lease is `leaseMs`. A dead executor's dispatch must move on (after
 * the ack wait) and be started by the next executor well before the coordinator's lease runs out
 * (between 2/3 and all of `leaseMs` after the last heartbeat): a quarter of the lease, at most 30 s.
 */
export function workQueueFor(leaseMs: number, maxDeliver = DEFAULT_WORK_QUEUE.maxDeliver): WorkQueueSettings {
  return { ackWaitMs: Math.max(200, Math.min(DEFAULT_WORK_QUEUE.ackWaitMs, Math.floor(leaseMs / 4))), maxDeliver };
}

// One subject token from any text: percent-encoding, with the characters NATS reserves (. * >) encoded too.
function token(text: string): string {
  return encodeURIComponent(text).replace(/[.*!'()~>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The subject a node's dispatches are queued on: one per node, so a re-dispatch can withdraw the attempt it replaces. */
export function workSubject(searchId: string, nodeId: string, prefix: string = WORK_QUEUE.subject): string {
  return `${prefix}.${token(searchId)}.${token(nodeId)}`;
}

/** How often an executor says it is still working on a queued dispatch: three times per ack wait. */
export function workingEveryMs(leaseMs: number): number {
  return Math.max(50, Math.floor(workQueueFor(leaseMs).ackWaitMs / 3));
}

/** The advisory a JetStream server publishes when a dispatch reached its maximum deliveries. */
export const MAX_DELIVERIES_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${WORK_QUEUE.stream}.${WORK_QUEUE.consumer}`;

const isNotFound = (error: unknown) => /not found/i.test((error as Error)?.message ?? '');

/**
 * Creates the work-queue stream, its consumer and the dead-letter stream, or brings an existing
 * consumer to `settings` (the coordinator owns them; executors only read the consumer).
 */
export async function ensureWorkQueue(jsm: JetStreamManager, settings: WorkQueueSettings): Promise<void> {
  const streams: { name: string; subjects: string[]; retention: RetentionPolicy; max_msgs_per_subject?: number }[] = [
    // One subject per node and one message per subject: queueing a node's new attempt discards the
    // attempt it replaces (its lease ran out) in the same step. A filtered purge did this before, but
    // nats-server 2.9 moves the consumer past every message older than the purge, on any subject:
    // a dispatch queued while no executor was pulling was then never delivered.
    { name: WORK_QUEUE.stream, subjects: [`${WORK_QUEUE.subject}.>`], retention: RetentionPolicy.Workqueue, max_msgs_per_subject: 1 },
    { name: WORK_QUEUE.deadStream, subjects: [`${WORK_QUEUE.deadSubject}.>`], retention: RetentionPolicy.Limits },
  ];
  for (const stream of streams) {
    let existing;
    try {
      existing = await jsm.streams.info(stream.name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (existing) {
      // A stream made by an earlier version (which purged instead) gets the per-subject limit.
      if (stream.max_msgs_per_subject !== undefined && existing.config.max_msgs_per_subject !== stream.max_msgs_per_subject) {
        await jsm.streams.update(stream.name, { max_msgs_per_subject: stream.max_msgs_per_subject });
      }
    } else {
      await jsm.streams.add({
        ...stream,
        storage: StorageType.File,
        max_msg_size: MAX_MESSAGE_BYTES,
        // A re-published dispatch (same search and experiment) within two minutes is stored once.
        duplicate_window: nanos(120_000),
        ...(stream.retention === RetentionPolicy.Limits ? { max_age: nanos(30 * 24 * 3_600_000) } : {}),
      });
    }
  }
  const consumer = { ack_wait: nanos(settings.ackWaitMs), max_deliver: settings.maxDeliver };
  try {
    const info = await jsm.consumers.info(WORK_QUEUE.stream, WORK_QUEUE.consumer);
    if (info.config.ack_wait !== consumer.ack_wait || info.config.max_deliver !== consumer.max_deliver) {
      await jsm.consumers.update(WORK_QUEUE.stream, WORK_QUEUE.consumer, consumer);
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(WORK_QUEUE.stream, { durable_name: WORK_QUEUE.consumer, ack_policy: AckPolicy.Explicit, filter_subject: `${WORK_QUEUE.subject}.>`, ...consumer });
  }
}

/** A dispatch that no executor finished after its last delivery. */
export interface DeadLetter {
  searchId: string;
  experimentId: string;
  nodeId: string;
  deliveries: number;
  /** Where it was kept (the dead-letter stream's subject). */
  subject: string;
}

/** Which dispatch a queued message carries: the signed envelope's body on a secured bus, the message itself on an open one. */
function dispatchOf(text: string): { searchId: string; experimentId: string; nodeId: string } {
  const payload = JSON.parse(text) as { body?: unknown };
  return (typeof payload.body === 'string' ? JSON.parse(payload.body) : payload) as { searchId: string; experimentId: string; nodeId: string };
}

const DeadLetterAdvisory = (data: Uint8Array) => {
  const advisory = JSON.parse(new TextDecoder().decode(data)) as { stream_seq?: unknown; deliveries?: unknown };
  return { seq: Number(advisory.stream_seq), deliveries: Number(advisory.deliveries) };
};

/**
 * The coordinator's side of the work queue: publishes dispatches, withdraws an attempt that a
 * re-dispatch replaces, and moves dispatches that reached their maximum deliveries to the
 * dead-letter stream, telling `onDead` which experiment no executor will finish.
 */
export class DispatchQueue {
  private readonly deadHandlers: ((letter: DeadLetter) => void)[] = [];
  private advisories?: { unsubscribe(): void };

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly log: { warn(message: string): void },
  ) {}

  /** Sets up the streams and the consumer on this connection, and starts watching for dead letters. */
  static async open(nc: NatsConnection, settings: WorkQueueSettings, log: { warn(message: string): void }): Promise<DispatchQueue> {
    const jsm = await untilAnswered('setting up the work queue', async () => {
      const manager = await jetstreamManager(nc);
      await ensureWorkQueue(manager, settings);
      return manager;
    }, log, 60_000);
    const queue = new DispatchQueue(nc, jsm, log);
    queue.advisories = nc.subscribe(MAX_DELIVERIES_ADVISORY, { callback: (error, msg) => void (error ? undefined : queue.deadLettered(msg)) });
    return queue;
  }

  /** Calls `handler` for every dispatch dead-lettered from now on. */
  onDead(handler: (letter: DeadLetter) => void): void {
    this.deadHandlers.push(handler);
  }

  /**
   * Queues a dispatch (the signed envelope as JSON). An earlier attempt of the same node still in
   * the queue is discarded as this one is stored (the stream keeps one message per node's subject):
   * its lease ran out and this attempt replaces it.
   */
  async publish(dispatch: { searchId: string; experimentId: string; nodeId: string }, payload: string, patienceMs = 300_000): Promise<void> {
    const subject = workSubject(dispatch.searchId, dispatch.nodeId);
    // While the broker restarts, publishing fails (no PubAck): try again until it is back. The
    // message id makes a retry of a publish whose ack was lost a duplicate the stream drops.
    await untilAnswered(
      `queueing dispatch ${dispatch.experimentId} on ${WORK_QUEUE.stream}`,
      () => jetstream(this.nc).publish(subject, payload, { msgID: `${dispatch.searchId}/${dispatch.experimentId}` }),
      this.log,
      patienceMs,
    );
  }

  /**
   * Whether this dispatch is still in the queue and still owed to an executor: waiting, or taken
   * and not yet acked (a work queue removes a message on its ack). False once its executor acked
   * it, if it was lost, and if the consumer has passed it for good, so that it will never be
   * delivered although it is stored: it lies at or below the consumer's ack floor (nats-server 2.9
   * strands messages so after a filtered purge of another subject), or the consumer delivered past
   * it and holds nothing unacked (a nak'd dispatch still counts as unacked; one out of deliveries
   * does not, and if the dead-letter advisory was missed, during a broker restart say, nothing else
   * would move it). A stranded dispatch then gets a lease like a lost one, and is dispatched again
   * when it runs out.
   */
  async holds(dispatch: { searchId: string; experimentId: string; nodeId: string }): Promise<boolean> {
    const stored = await this.jsm.streams.getMessage(WORK_QUEUE.stream, { last_by_subj: workSubject(dispatch.searchId, dispatch.nodeId) }).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (!stored) return false;
    try {
      if (dispatchOf(stored.string()).experimentId !== dispatch.experimentId) return false;
    } catch {
      return false;
    }
    const consumer = await this.jsm.consumers.info(WORK_QUEUE.stream, WORK_QUEUE.consumer);
    const passed = stored.seq <= consumer.ack_floor.stream_seq || (stored.seq <= consumer.delivered.stream_seq && consumer.num_ack_pending === 0);
    return !passed;
  }

  /** Dispatches waiting in the queue (not yet taken or acked). */
  async waiting(): Promise<number> {
    return (await this.jsm.streams.info(WORK_QUEUE.stream)).state.messages;
  }

  close(): void {
    this.advisories?.unsubscribe();
  }

  private async deadLettered(msg: Msg): Promise<void> {
    try {
      const { seq, deliveries } = DeadLetterAdvisory(msg.data);
      const stored = await this.jsm.streams.getMessage(WORK_QUEUE.stream, { seq });
      if (!stored) return;
      const body = dispatchOf(stored.string());
      const subject = `${WORK_QUEUE.deadSubject}.${stored.subject.slice(WORK_QUEUE.subject.length + 1)}`;
      await jetstream(this.nc).publish(subject, stored.data, { msgID: `${body.searchId}/${body.experimentId}/dead` });
      await this.jsm.streams.deleteMessage(WORK_QUEUE.stream, seq);
      const letter = { searchId: body.searchId, experimentId: body.experimentId, nodeId: body.nodeId, deliveries, subject };
      for (const handler of this.deadHandlers) handler(letter);
    } catch (error) {
      this.log.warn(`could not move a dead-lettered dispatch to ${WORK_QUEUE.deadStream}: ${(error as Error).message}`);
    }
  }
}

/** One dispatch as an executor received it from the work queue. */
export interface QueuedDispatch {
  /** The JSON it carries (a signed envelope on a secured bus). */
  data: unknown;
  /** 1 the first time; more when an earlier executor did not finish it. */
  deliveryCount: number;
  /** Keeps it for this executor for another ack wait. */
  working(): void;
  /** Done: its result was reported. */
  ack(): void;
  /** Give it back now (another executor takes it). */
  nak(): void;
  /**
   * Drop it for good (a forged or unreadable message): acked, so the work queue removes it (a
   * terminated message stays in a work-queue stream for good on nats-server 2.9, measured here).
   */
  discard(): void;
}

function queued(msg: JsMsg): QueuedDispatch {
  let data: unknown;
  try {
    data = msg.data.length > MAX_MESSAGE_BYTES ? undefined : msg.json();
  } catch {
    data = msg.string().slice(0, 200);
  }
  return {
    data,
    deliveryCount: msg.info.deliveryCount,
    working: () => msg.working(),
    ack: () => msg.ack(),
    nak: () => msg.nak(),
    discard: () => msg.ack(),
  };
}

/** What an executor's pull loop needs. */
export interface WorkQueuePull {
  /** Resolves once there is room for another experiment (at once if there is). */
  room(): Promise<void>;
  /** A dispatch pulled from the queue. */
  take(dispatch: QueuedDispatch): void;
  log: { log(message: string): void; warn(message: string): void };
  signal: AbortSignal;
  /** How long one pull waits for a dispatch. */
  expiresMs?: number;
}

/**
 * An executor's pull loop: pulls one dispatch at a time, and only while it has room, so a busy
 * executor leaves the queue to the others. It waits for the consumer to exist (the coordinator
 * creates it), and rides out broker restarts. Resolves once `signal` is aborted.
 */
export async function pullDispatches(nc: NatsConnection, pull: WorkQueuePull): Promise<void> {
  const js = jetstream(nc);
  let consumer: Consumer | undefined;
  let waitingSaid = false;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pull.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pull.signal.addEventListener('abort', done, { once: true });
    });
  const stopped = new Promise<void>((resolve) => pull.signal.addEventListener('abort', () => resolve(), { once: true }));
  while (!pull.signal.aborted) {
    await Promise.race([pull.room(), stopped]);
    if (pull.signal.aborted) break;
    try {
      consumer ??= await js.consumers.get(WORK_QUEUE.stream, WORK_QUEUE.consumer);
      const msg = await consumer.next({ expires: pull.expiresMs ?? 5_000 });
      waitingSaid = false;
      if (!msg) continue;
      if (pull.signal.aborted) {
        msg.nak();
        break;
      }
      pull.take(queued(msg));
    } catch (error) {
      if (pull.signal.aborted) break;
      consumer = undefined;
      if (!waitingSaid) pull.log.warn(`no dispatch work queue to pull from yet (${WORK_QUEUE.stream}/${WORK_QUEUE.consumer}: ${(error as Error).message}); a coordinator creates it, retrying every second`);
      waitingSaid = true;
      await pause(1_000);
    }
  }
}
