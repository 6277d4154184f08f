/**
 * A small seeded PRNG (mulberry32). Deciders draw from a generator seeded by the search seed and the
 * tree's content (never its revision or the clock), so a decision is a pure function of (tree, config)
 * and replays identically, however executors were timed.
 */
export function seededRandom(...seeds: number[]): () => number {
  let state = 0x9e3779b9;
  for (const s of seeds) state = Math.imul(state ^ (s | 0), 0x85ebca6b) ^ (state >>> 13);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller) from two uniform draws of `random`. */
export function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A stable 32-bit hash of a string, for seeding. */
export function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
