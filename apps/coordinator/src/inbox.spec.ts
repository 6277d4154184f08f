import { Inbox } from './inbox.js';

describe('the inbox of executor reports', () => {
  it('hands over queued items in order, then waits for the next one', async () => {
    const inbox = new Inbox<number>();
    inbox.push(1);
    inbox.push(2);
    expect(await inbox.next(10_000)).toBe(1);
    expect(await inbox.next(10_000)).toBe(2);
    const waiting = inbox.next(10_000);
    inbox.push(3);
    expect(await waiting).toBe(3);
  });

  it('gives nothing when the timeout passes first', async () => {
    const inbox = new Inbox<number>();
    const start = Date.now();
    expect(await inbox.next(20)).toBeUndefined();
    expect(Date.now() - start).toBeGreaterThanOrEqual(15);
    // An item pushed after the timeout waits in the queue for the next call.
    inbox.push(4);
    expect(await inbox.next(0)).toBe(4);
  });

  it('stops waiting at once when its signal is aborted, with the signal\'s reason', async () => {
    const inbox = new Inbox<number>();
    const controller = new AbortController();
    const start = Date.now();
    const waiting = inbox.next(60_000, controller.signal);
    setTimeout(() => controller.abort(new Error('stopped by the test')), 10);
    await expect(waiting).rejects.toThrow('stopped by the test');
    expect(Date.now() - start).toBeLessThan(5_000);
    // The aborted wait is gone: a later item goes to the queue, not to it.
    inbox.push(5);
    expect(await inbox.next(0)).toBe(5);
    await expect(inbox.next(60_000, controller.signal)).rejects.toThrow('stopped by the test');
  });
});
