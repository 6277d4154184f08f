import { hashString, seededRandom } from '@hypotree/policy';
import { outOfSpace, type Parameter, type ParameterValue } from '@hypotree/task';
import { inClaimRegion, type ClaimedInsight } from './claims.js';
import { forbiddenBy } from './moves.js';
import { configKey, decode, encode, isNumeric, type ParamConfig } from '../space.js';

/** Size of one space-filling design: every numeric parameter's range is cut into this many strata. */
export const DESIGN_SIZE = 8;

/**
 * Whole configurations spread over the declared space (a Latin-hypercube design over the root's
 * children: the k-th child of the root takes the k-th stratum of a seeded permutation of each
 * numeric range; choices are cycled), moved into the regions findings say help, skipping tried
 * configurations and the regions constraints rule out.
 * This is how the offline proposer opens new directions from the root, where a local step from a
 * poor default shows no signal.
 */
export function spaceFillingSamples(
  space: readonly Parameter[],
  options: { seed: number; firstIndex: number; count: number; tried: Set<string>; constraints: readonly ClaimedInsight[]; findings: readonly ClaimedInsight[] },
): { config: ParamConfig; stratum: number; findingsUsed: string[] }[] {
  const out: { config: ParamConfig; stratum: number; findingsUsed: string[] }[] = [];
  const taken = new Set(options.tried);
  for (let index = options.firstIndex; out.length < options.count && index < options.firstIndex + options.count * 20; index++) {
    const design = Math.floor(index / DESIGN_SIZE);
    const stratum = index % DESIGN_SIZE;
    const jitter = seededRandom(options.seed, hashString('explore-jitter'), index);
    const config: ParamConfig = {};
    for (const p of space) config[p.name] = valueAt(p, permutation(options.seed, p.name, design)[stratum]!, jitter, index);
    const findingsUsed = options.findings.filter((f) => moveIntoRegion(space, config, f, jitter())).map((f) => f.id);
    const key = configKey(config, space);
    const legal = Object.entries(config).every(([name, v]) => !forbiddenBy(options.constraints, name, v));
    if (taken.has(key) || !legal) continue;
    taken.add(key);
    out.push({ config, stratum, findingsUsed });
  }
  return out;
}

function valueAt(p: Parameter, slot: number, jitter: () => number, index: number): ParameterValue {
  if (isNumeric(p)) {
    const v = decode(p, (slot + jitter()) / DESIGN_SIZE);
    return outOfSpace(p, v) === undefined ? v : p.default;
  }
  if (p.type === 'choice') return p.choices[(slot + index) % p.choices.length]!;
  return slot % 2 === 0;
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
