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
});
