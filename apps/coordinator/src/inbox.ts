/** An unbounded async queue: producers push, one consumer awaits the next item or a timeout. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiter?: (item: T | undefined) => void;

  /** Adds an item, waking the consumer if it waits. */
  push(item: T): void {
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = undefined;
      wake(item);
    } else {
      this.items.push(item);
    }
  }

  /** Ends the consumer's current wait now, with undefined (something other than an item needs a look). */
  wake(): void {
    const wake = this.waiter;
    this.waiter = undefined;
    wake?.(undefined);
  }

  /**
   * The next item, or undefined when `timeoutMs` passes first. An aborted `signal` ends the wait at
   * once (the promise rejects with its reason) and clears the timer, so nothing is left pending.
   */
  next(timeoutMs: number, signal?: AbortSignal): Promise<T | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
      };
      const onAbort = () => {
        done();
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve(undefined);
      }, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = (value) => {
        done();
        resolve(value);
      };
    });
  }
}
