// How a benchmark compares two search methods over seeds (bench/ao.mjs): the ratio of their mean
// scores with a bootstrap interval, and a seed-by-seed count. Pure: the same results give the same
// numbers.
import { seededRandom } from '@hypotree/policy';

/** One method's score at one seed (bench/ao.mjs: the fraction of the achievable gain its search reached). */
export interface SeedScore {
  seed: number;
  score: number;
}

/** mean(a) / mean(b), and the interval the seeds allow it. */
export interface RatioInterval {
  ratio: number;
  /** True when both methods ran exactly the same seeds, so seeds were resampled in pairs. */
  paired: boolean;
  low: number;
  high: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The scores by seed; a seed given twice is an error (a merge that counted a search twice), not a silent double weight. */
function bySeed(what: string, scores: readonly SeedScore[]): Map<number, number> {
  const map = new Map<number, number>();
  for (const { seed, score } of scores) {
    if (map.has(seed)) throw new Error(`${what}: seed ${seed} appears twice`);
    if (!Number.isFinite(score)) throw new Error(`${what}: seed ${seed} has no finite score (${score})`);
    map.set(seed, score);
  }
  return map;
}

/**
 * mean(a) / mean(b) with a percentile-bootstrap interval over seeds (`level`, default 90 %;
 * `draws` resamples, default 2,000; seeded by the sizes, so the same results give the same
 * interval). When both methods ran the same seeds, in any order, the seeds are resampled in pairs:
 * a seed fixes a search's first draws (in bench/ao.mjs the root's design, which several methods
 * share, so they often make the same search), and then it is the pairs' differences, not each
 * method's own spread, that the seeds can move. Otherwise each method's seeds are resampled on
 * their own. The interval says how far the seeds alone could move the ratio; choosing `b` as the
 * best of several methods after the fact is not in it. Undefined when either side is empty, when
 * mean(b) is not positive, or when fewer than half the resamples give a finite ratio.
 */
export function ratioInterval(a: readonly SeedScore[], b: readonly SeedScore[], options: { level?: number; draws?: number } = {}): RatioInterval | undefined {
  const { level = 0.9, draws = 2000 } = options;
  if (!(level > 0 && level < 1)) throw new Error(`ratioInterval: level must lie in (0, 1), got ${level}`);
  const mine = bySeed('ratioInterval, first method', a);
  const theirs = bySeed('ratioInterval, second method', b);
  if (mine.size === 0 || theirs.size === 0) return undefined;
  const seeds = [...mine.keys()].sort((x, y) => x - y);
  const paired = mine.size === theirs.size && seeds.every((s) => theirs.has(s));
  const xs = seeds.map((s) => mine.get(s)!);
  const ys = paired ? seeds.map((s) => theirs.get(s)!) : [...theirs.entries()].sort(([x], [y]) => x - y).map(([, v]) => v);
  if (!(mean(ys) > 0)) return undefined;
  const random = seededRandom(xs.length, ys.length, 15);
  const draw = (n: number) => Array.from({ length: n }, () => Math.floor(random() * n));
  const ratios: number[] = [];
  for (let i = 0; i < draws; i++) {
    const pa = draw(xs.length);
    const pb = paired ? pa : draw(ys.length);
    const r = mean(pa.map((j) => xs[j]!)) / mean(pb.map((j) => ys[j]!));
    if (Number.isFinite(r)) ratios.push(r);
  }
  if (ratios.length < draws / 2) return undefined;
  ratios.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  const n = ratios.length;
  return { ratio: mean(xs) / mean(ys), paired, low: ratios[Math.floor(tail * n)]!, high: ratios[Math.max(0, Math.floor((1 - tail) * n) - 1)]! };
}

/** Seed by seed, where both methods ran it: how often `a` scored higher, lower or the same (within `tolerance`), and how many seeds only one ran. */
export function seedBySeed(a: readonly SeedScore[], b: readonly SeedScore[], tolerance = 1e-9): { higher: number; lower: number; same: number; unmatched: number } {
  const mine = bySeed('seedBySeed, first method', a);
  const theirs = bySeed('seedBySeed, second method', b);
  let higher = 0;
  let lower = 0;
  let same = 0;
  for (const [seed, score] of mine) {
    const other = theirs.get(seed);
    if (other === undefined) continue;
    if (score - other > tolerance) higher += 1;
    else if (other - score > tolerance) lower += 1;
    else same += 1;
  }
  return { higher, lower, same, unmatched: mine.size + theirs.size - 2 * (higher + lower + same) };
}
