/** A handler on the bus; a reply (for requests) is whatever it resolves to. */
export type BusHandler = (data: unknown) => Promise<unknown>;

interface Subscriber {
  handler: BusHandler;
  queue?: string;
}

/**
 * An in-process message bus with NATS semantics: every plain subscriber of a subject gets each
 * event; a queue group gets it once (round-robin among its members); a request goes to one
 * subscriber and resolves to its reply. Payloads are JSON round-tripped, as on a wire, so no
 * object is ever shared between sender and receiver.
 */
export class InProcessBus {
  private readonly subjects = new Map<string, Subscriber[]>();
  private readonly cursors = new Map<string, number>();

  /** Subscribes to a subject, optionally in a queue group; returns the unsubscribe function. */
  subscribe(subject: string, handler: BusHandler, queue?: string): () => void {
    const subscriber = { handler, queue };
    const list = this.subjects.get(subject) ?? [];
    this.subjects.set(subject, [...list, subscriber]);
    return () => this.subjects.set(subject, (this.subjects.get(subject) ?? []).filter((s) => s !== subscriber));
  }

  /** Delivers an event to every plain subscriber and to one member of each queue group; resolves once handed over. */
  async publish(subject: string, data: unknown): Promise<void> {
    const payload = wire(data);
    for (const target of this.targets(subject)) {
      // Fire and forget, like core NATS: the publisher does not wait for handlers to finish.
      void Promise.resolve()
        .then(() => target.handler(wire(payload)))
        .catch(() => undefined);
    }
  }

  /** Sends a request to one subscriber and resolves to its reply; rejects when nobody listens. */
  async request(subject: string, data: unknown): Promise<unknown> {
    const [target] = this.targets(subject);
    if (!target) throw new Error(`no subscriber for ${subject}`);
    return wire(await target.handler(wire(data)));
  }

  private targets(subject: string): Subscriber[] {
    const list = this.subjects.get(subject) ?? [];
    const plain = list.filter((s) => !s.queue);
    const groups = new Map<string, Subscriber[]>();
    for (const s of list) if (s.queue) groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
    const chosen = [...groups].map(([queue, members]) => {
      const key = `${subject}\u0000${queue}`;
      const next = (this.cursors.get(key) ?? 0) % members.length;
      this.cursors.set(key, next + 1);
      return members[next]!;
    });
    return [...plain, ...chosen];
  }
}

function wire<T>(data: T): T {
  return data === undefined ? data : (JSON.parse(JSON.stringify(data)) as T);
}
