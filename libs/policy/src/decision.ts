import type { PolicyRef } from '@hypotree/events';

/** What every decision carries so it can be recorded and replayed: the policy, the rule that fired, and why. */
export interface Reasoned {
  policy: PolicyRef;
  rule: string;
  reason: string;
}

/** A policy: a name, a version and validated parameters, with a pure decide function. */
export interface Policy<Params, Input, Output> {
  name: string;
  version: number;
  params: Params;
  decide(input: Input): Output;
}

/** The reference written into events: name, version and parameters. */
export function policyRef(policy: { name: string; version: number; params: object }): PolicyRef {
  return { name: policy.name, version: policy.version, params: { ...policy.params } };
}
