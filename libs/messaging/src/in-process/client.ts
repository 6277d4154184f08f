import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { InProcessBus } from './bus.js';

/** A Nest client over the in-process bus: `send()` is request/reply, `emit()` fire-and-forget. */
export class InProcessClient extends ClientProxy {
  constructor(private readonly bus: InProcessBus) {
    super();
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {}

  unwrap<T>(): T {
    return this.bus as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    this.bus.request(this.normalizePattern(packet.pattern), packet.data).then(
      (response) => callback({ response, isDisposed: true }),
      (err: unknown) => callback({ err: err instanceof Error ? err.message : err, isDisposed: true }),
    );
    return () => undefined;
  }

  protected async dispatchEvent<T>(packet: ReadPacket): Promise<T> {
    await this.bus.publish(this.normalizePattern(packet.pattern), packet.data);
    return undefined as T;
  }
}
