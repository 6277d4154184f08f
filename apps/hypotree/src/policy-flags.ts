import type { PolicyParams } from '@hypotree/policy';

/**
 * Parses `--policy` assignments such as `selection.strategy=greedy` or `admission.sigmas=1.5` into
 * policy parameters (numbers and booleans are converted; the schemas validate them later).
 */
export function parsePolicyAssignments(assignments: string[]): PolicyParams {
  const out: Record<string, Record<string, unknown>> = {};
  for (const assignment of assignments) {
    const match = /^(selection|admission|refinement)\.(\w+)=(.+)$/.exec(assignment.trim());
    if (!match) throw new Error(`--policy ${assignment}: expected <selection|admission|refinement>.<param>=<value>, e.g. selection.strategy=greedy`);
    const [, policy, key, raw] = match as unknown as [string, string, string, string];
    const value = raw === 'true' ? true : raw === 'false' ? false : Number.isFinite(Number(raw)) ? Number(raw) : raw;
    (out[policy] ??= {})[key] = value;
  }
  return out as PolicyParams;
}
