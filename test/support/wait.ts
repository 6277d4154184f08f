/**
 * Polls `probe` (sync or async) every `everyMs` until it returns something other than undefined,
 * and returns that; after `ms` it throws naming what it waited for.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
