import { closest, distance } from 'fastest-levenshtein';
import { POLICY_KEYS, type PolicyParams } from '@hypotree/policy';

type PolicyName = keyof typeof POLICY_KEYS;

/**
 * Parses `--policy` assignments such as `selection.strategy=greedy` or `admission.sigmas=1.5` into
 * policy parameters (numbers and booleans are converted; the schemas validate the values later).
 * A parameter the policy does not have is an error that lists the ones it has, with a did-you-mean.
 */
export function parsePolicyAssignments(assignments: string[]): PolicyParams {
  const out: Record<string, Record<string, unknown>> = {};
  for (const assignment of assignments) {
    const match = /^(selection|admission|refinement)\.(\w+)=(.+)$/.exec(assignment.trim());
    if (!match) throw new Error(`--policy ${assignment}: expected <selection|admission|refinement>.<param>=<value>, e.g. selection.strategy=greedy`);
    const [, policy, key, raw] = match as unknown as [string, PolicyName, string, string];
    const known: readonly string[] = POLICY_KEYS[policy];
    if (!known.includes(key)) {
      const near = closest(key, known as string[]);
      const hint = distance(key, near) <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean ${policy}.${near}?)` : '';
      throw new Error(`--policy ${assignment}: ${policy} has no parameter '${key}'${hint}; its parameters are ${known.join(', ')}`);
    }
    const value = raw === 'true' ? true : raw === 'false' ? false : Number.isFinite(Number(raw)) ? Number(raw) : raw;
    (out[policy] ??= {})[key] = value;
  }
  return out as PolicyParams;
}
