import { hashString, seededRandom } from '@hypotree/policy';
import { outOfSpace, type Parameter, type ParameterValue } from '@hypotree/task';
import { inClaimRegion, type ClaimedInsight } from './claims.js';
import { forbiddenBy } from './moves.js';
import { sampleParameter } from './random-proposer.js';
import { configKey, decode, encode, isNumeric, type ParamConfig } from '../space.js';

/** Size of one space-filling design: every numeric parameter's range is cut into this many strata. */
export const DESIGN_SIZE = 8;

/**
 * Whole configurations spread over the declared space: a seeded Latin-hypercube design over the
 * root's children. The k-th child takes the k-th stratum of a seeded permutation of each numeric
 * range, and the k-th entry of a balanced, shuffled sequence of each choice's values (every value
 * equally often within a design of `DESIGN_SIZE` points, in a seeded order), so no single choice
 * value dominates the first points. A value a constraint forbids is replaced by the nearest allowed
 * stratum or value rather than dropping the point; samples then move into the regions findings
 * say help, and tried configurations are skipped. When the design has nothing new left, uniform
 * samples continue, so the root never runs dry while the space has room.
 * This is how the offline proposer opens new directions from the root, where a local step from a
 * poor default shows no signal.
 */
export function spaceFillingSamples(
  space: readonly Parameter[],
  options: { seed: number; firstIndex: number; count: number; tried: Set<string>; constraints: readonly ClaimedInsight[]; findings: readonly ClaimedInsight[] },
): { config: ParamConfig; stratum: number; findingsUsed: string[] }[] {
  const out: { config: ParamConfig; stratum: number; findingsUsed: string[] }[] = [];
  const taken = new Set(options.tried);
  const allowed = (name: string, v: ParameterValue) => !forbiddenBy(options.constraints, name, v);
  for (let index = options.firstIndex; out.length < options.count && index < options.firstIndex + options.count * 20; index++) {
    const design = Math.floor(index / DESIGN_SIZE);
    const stratum = index % DESIGN_SIZE;
    const jitter = seededRandom(options.seed, hashString('explore-jitter'), index);
    const config: ParamConfig = {};
    for (const p of space) {
      const order = permutation(options.seed, p.name, design);
      // The point's own stratum first, then the others in the permutation's order: the nearest allowed one wins.
      const slots = [...order.slice(stratum), ...order.slice(0, stratum)];
      const options_ = slots.map((slot, k) => valueAt(p, slot, jitter, options.seed, design, (stratum + k) % DESIGN_SIZE));
      config[p.name] = options_.find((v) => allowed(p.name, v)) ?? options_[0]!;
    }
    const findingsUsed = options.findings.filter((f) => moveIntoRegion(space, config, f, jitter())).map((f) => f.id);
    const key = configKey(config, space);
    const legal = Object.entries(config).every(([name, v]) => allowed(name, v));
    if (taken.has(key) || !legal) continue;
    taken.add(key);
    out.push({ config, stratum, findingsUsed });
  }
  const fill = seededRandom(options.seed, hashString('explore-uniform'), options.firstIndex);
  for (let attempt = 0; out.length < options.count && attempt < options.count * 50; attempt++) {
    const config = Object.fromEntries(space.map((p) => [p.name, sampleParameter(p, fill)]));
    const key = configKey(config, space);
    if (taken.has(key) || !Object.entries(config).every(([name, v]) => allowed(name, v))) continue;
    taken.add(key);
    out.push({ config, stratum: options.firstIndex % DESIGN_SIZE, findingsUsed: [] });
  }
  return out;
}

// A numeric value inside its stratum; a choice (or bool) from a balanced, seeded sequence of its values.
function valueAt(p: Parameter, slot: number, jitter: () => number, seed: number, design: number, position: number): ParameterValue {
  if (isNumeric(p)) {
    const v = decode(p, (slot + jitter()) / DESIGN_SIZE);
    return outOfSpace(p, v) === undefined ? v : p.default;
  }
  const values: ParameterValue[] = p.type === 'choice' ? p.choices : [false, true];
  return balanced(values, seed, p.name, design)[position]!;
}

/** `DESIGN_SIZE` entries in which every value appears equally often (±1), shuffled by (seed, parameter, design). */
export function balanced<T>(values: readonly T[], seed: number, name: string, design: number): T[] {
  // Which values get the extra slots when DESIGN_SIZE is not a multiple of their number rotates with the design.
  const offset = design * (DESIGN_SIZE % values.length);
  const sequence = Array.from({ length: DESIGN_SIZE }, (_, i) => values[(i + offset) % values.length]!);
  const random = seededRandom(seed, hashString(`balanced:${name}`), design);
  for (let i = sequence.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sequence[i], sequence[j]] = [sequence[j]!, sequence[i]!];
  }
  return sequence;
}

// A seeded permutation of the strata, one per parameter and design, so parameters are not correlated.
function permutation(seed: number, name: string, design: number): number[] {
  const random = seededRandom(seed, hashString(name), design);
  const order = Array.from({ length: DESIGN_SIZE }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

// Moves a sampled value into the region a finding says helps; true when the sample now relies on it.
function moveIntoRegion(space: readonly Parameter[], config: ParamConfig, finding: ClaimedInsight, u: number): boolean {
  const p = space.find((q) => q.name === finding.claim.param);
  if (!p) return false;
  if (inClaimRegion(finding.claim, config[p.name])) return true;
  const { relation, value } = finding.claim;
  if (relation === 'equals') {
    if (outOfSpace(p, value) !== undefined) return false;
    config[p.name] = value;
    return true;
  }
  if (!isNumeric(p) || typeof value !== 'number') return false;
  const edge = encode(p, value);
  const moved = decode(p, relation === 'above' ? edge + (1 - edge) * Math.max(0.05, u) : edge * Math.min(0.95, u));
  if (!inClaimRegion(finding.claim, moved)) return false;
  config[p.name] = moved;
  return true;
}
