import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { InProcessBus } from './bus.js';

/**
 * A Nest transport strategy over the in-process bus: the embedded mode's stand-in for NATS, with
 * the same patterns, payloads and queue-group semantics. Use with `createMicroservice(Module, { strategy })`.
 */
export class InProcessServer extends Server implements CustomTransportStrategy {
  private unsubscribes: (() => void)[] = [];

  constructor(
    private readonly bus: InProcessBus,
    private readonly options: { queue?: string } = {},
  ) {
    super();
  }

  /** Subscribes every handler of the app to its pattern. */
  listen(callback: () => void): void {
    for (const [pattern, handler] of this.messageHandlers) {
      const queue = (handler.extras?.queue as string | undefined) ?? this.options.queue;
      const run = async (data: unknown) => {
        if (handler.isEventHandler) {
          await handler(data);
          return undefined;
        }
        return lastValueFrom(this.transformToObservable(await handler(data)));
      };
      this.unsubscribes.push(this.bus.subscribe(pattern, run, queue));
    }
    callback();
  }

  /** Unsubscribes every handler. */
  close(): void {
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
  }

  on(): void {
    // The in-process bus has no connection events to listen to.
  }

  unwrap<T>(): T {
    return this.bus as T;
  }
}
