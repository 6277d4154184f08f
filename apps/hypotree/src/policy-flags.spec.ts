import { parsePolicyAssignments } from './policy-flags.js';

describe('--policy assignments', () => {
  it('parse into policy parameters, numbers and booleans converted', () => {
    expect(parsePolicyAssignments(['selection.strategy=greedy', 'admission.sigmas=1.5', 'admission.mode=dev-only'])).toEqual({
      selection: { strategy: 'greedy' },
      admission: { sigmas: 1.5, mode: 'dev-only' },
    });
  });

  it('refuse an assignment that names no policy, saying what is expected', () => {
    expect(() => parsePolicyAssignments(['strategy=greedy'])).toThrow(/expected <selection\|admission\|refinement>/);
  });

  it('refuse a parameter the policy does not have, listing its parameters, with a did-you-mean for a near miss', () => {
    expect(() => parsePolicyAssignments(['admission.sigmaz=3'])).toThrow(
      /--policy admission\.sigmaz=3: admission has no parameter 'sigmaz' \(did you mean admission\.sigmas\?\); its parameters are test, alpha, .*gateScarcity/,
    );
    expect(() => parsePolicyAssignments(['admission.foo=3'])).toThrow(/^--policy admission\.foo=3: admission has no parameter 'foo'; its parameters are /);
  });
});
