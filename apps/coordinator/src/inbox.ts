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

  /** The next item, or undefined when `timeoutMs` passes first. */
  next(timeoutMs: number): Promise<T | undefined> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, Math.max(0, timeoutMs));
      this.waiter = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
    });
  }
}
