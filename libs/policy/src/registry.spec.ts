import { policyRef } from './decision.js';
import { buildPolicies } from './registry.js';

describe('the policy set', () => {
  it('builds selection, admission and refinement with their defaults when given nothing', () => {
    const policies = buildPolicies();
    expect(policies.admission.params).toMatchObject({ test: 'calibrated', alpha: 0.05 });
    expect([policies.selection.name, policies.admission.name, policies.refinement.name]).toEqual(['selection', 'admission', 'refinement']);
  });

  it('passes each policy its own parameters, and keeps the defaults of the others', () => {
    const policies = buildPolicies({ admission: { alpha: 0.01 }, refinement: {} });
    expect(policies.admission.params).toMatchObject({ alpha: 0.01, devAlpha: 0.2 });
  });

  it('refuses an unknown policy or parameter in one error that names it', () => {
    expect(() => buildPolicies({ admision: {} } as never)).toThrow(/^invalid policy parameters: .*admision/);
    expect(() => buildPolicies({ admission: { alpha: 2 } })).toThrow(/^invalid policy parameters: .*admission\.alpha/);
  });
});

describe('policy references', () => {
  it('name the policy, its version and a copy of its parameters', () => {
    const params = { alpha: 0.05 };
    const ref = policyRef({ name: 'admission', version: 3, params });
    expect(ref).toEqual({ name: 'admission', version: 3, params: { alpha: 0.05 } });
    params.alpha = 0.5;
    expect(ref.params).toEqual({ alpha: 0.05 });
  });
});
