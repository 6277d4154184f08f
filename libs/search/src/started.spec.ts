import { EventScript } from '@hypotree/tree/testing';
import { parseSearchConfig } from './config.js';
import { configFromStarted } from './started.js';

describe('configFromStarted', () => {
  const config = parseSearchConfig({ task: 'examples/spirals', budget: { experiments: 99 } });

  it('resumes under the recorded budget and policies, not today’s command line', () => {
    const s = new EventScript('s1');
    const started = s.start({ budget: { experiments: 10, parallel: 1, gateEvaluations: 5 } }).data as Parameters<typeof configFromStarted>[2];
    const resumed = configFromStarted(config, 's1', started);
    expect(resumed.budget).toEqual({ experiments: 10, parallel: 1, gateEvaluations: 5 });
    expect(resumed.searchId).toBe('s1');
  });

  it('resumes a search started before admission version 3 under the fixed test it started with', () => {
    const s = new EventScript('s1');
    const admission = { name: 'admission', version: 2, params: { sigmas: 1, gateMargin: 0, minRelativeGain: 0.002, mode: 'verified' } };
    const started = s.start({
      policies: { selection: { name: 'selection', version: 1, params: {} }, admission, refinement: { name: 'refinement', version: 1, params: {} } },
    }).data as Parameters<typeof configFromStarted>[2];
    expect(configFromStarted(config, 's1', started).policies.admission).toMatchObject({ test: 'fixed', sigmas: 1 });
  });

  it('resumes a search started before admission version 4 without reserving the gate, and a new one with it', () => {
    const policies = (admission: { name: string; version: number; params: Record<string, unknown> }) => ({
      selection: { name: 'selection', version: 1, params: {} },
      admission,
      refinement: { name: 'refinement', version: 1, params: {} },
    });
    const old = new EventScript('s1').start({ policies: policies({ name: 'admission', version: 3, params: { test: 'calibrated' } }) }).data as Parameters<typeof configFromStarted>[2];
    expect(configFromStarted(config, 's1', old).policies.admission).toMatchObject({ test: 'calibrated', gateScarcity: 0 });
    const now = new EventScript('s2').start({ policies: policies({ name: 'admission', version: 4, params: { test: 'calibrated', gateScarcity: 3 } }) }).data as Parameters<typeof configFromStarted>[2];
    expect(configFromStarted(config, 's2', now).policies.admission).toMatchObject({ gateScarcity: 3 });
  });

  it("resumes a search started before admission version 5 with gate evaluations of the task's repeats, and a new one with gateRuns", () => {
    const policies = (admission: { name: string; version: number; params: Record<string, unknown> }) => ({
      selection: { name: 'selection', version: 1, params: {} },
      admission,
      refinement: { name: 'refinement', version: 1, params: {} },
    });
    const old = new EventScript('s1').start({ policies: policies({ name: 'admission', version: 4, params: { test: 'calibrated', gateScarcity: 2 } }) }).data as Parameters<typeof configFromStarted>[2];
    expect(configFromStarted(config, 's1', old).policies.admission).toMatchObject({ gateScarcity: 2, gateRuns: 0 });
    const now = new EventScript('s2').start({ policies: policies({ name: 'admission', version: 5, params: { test: 'calibrated', gateRuns: 6 } }) }).data as Parameters<typeof configFromStarted>[2];
    expect(configFromStarted(config, 's2', now).policies.admission).toMatchObject({ gateRuns: 6 });
  });

  it('resumes a search started before selection version 3 ranking best-first by dev rank alone, and a new one with childEvidence', () => {
    const policies = (selection: { name: string; version: number; params: Record<string, unknown> }) => ({
      selection,
      admission: { name: 'admission', version: 5, params: {} },
      refinement: { name: 'refinement', version: 2, params: {} },
    });
    const old = new EventScript('s1').start({ policies: policies({ name: 'selection', version: 2, params: { strategy: 'best-first', exploration: 0.5 } }) }).data as Parameters<typeof configFromStarted>[2];
    expect(configFromStarted(config, 's1', old).policies.selection).toMatchObject({ exploration: 0.5, childEvidence: 0 });
    const now = new EventScript('s2').start({ policies: policies({ name: 'selection', version: 3, params: { childEvidence: 2 } }) }).data as Parameters<typeof configFromStarted>[2];
    expect(configFromStarted(config, 's2', now).policies.selection).toMatchObject({ childEvidence: 2 });
    // A version-3 record without the parameter is today's default, not the legacy value.
    const bare = new EventScript('s3').start({ policies: policies({ name: 'selection', version: 3, params: {} }) }).data as Parameters<typeof configFromStarted>[2];
    expect(configFromStarted(config, 's3', bare).policies.selection).toMatchObject({ childEvidence: 0.5 });
  });

  it('refuses a recorded proposer this hypotree does not know', () => {
    const s = new EventScript('s1');
    const started = s.start({ research: { proposer: 'oracle', implementer: 'params', distiller: 'offline', insights: true } }).data as Parameters<typeof configFromStarted>[2];
    expect(() => configFromStarted(config, 's1', started)).toThrow(/research\.proposer is 'oracle'/);
  });
});
