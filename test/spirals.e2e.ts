import { loadTask, type Hypothesis } from '@hypotree/task';
import { evaluateSealed, ParamsImplementer, prepareArtifact, runExperiment } from '@hypotree/workspace';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const good: Hypothesis = {
  title: 'fourier features, tanh, more capacity and steps',
  mechanism: 'angular features untwist the spirals; a larger learning rate and more epochs let the network converge',
  prediction: 'dev accuracy rises well above the chance-level baseline',
  change: {
    kind: 'params',
    set: { features: 'fourier', activation: 'tanh', learningRate: 0.3, epochs: 200, hiddenUnits: 32, l2: 0.01, batchSize: 16, initScale: 1 },
  },
};

describe('the bundled spirals task', () => {
  const workdir = mkdtempSync(path.join(os.tmpdir(), 'hypotree-spirals-'));
  chmodSync(workdir, 0o755);
  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  it('loads, imports deterministically, and rewards a good configuration on dev and gate', async () => {
    const task = loadTask(path.resolve('examples/spirals'));
    const repo = await prepareArtifact(task, workdir);
    const again = await prepareArtifact(task, workdir);
    expect(again.baseCommit).toBe(repo.baseCommit);
    const common = { task, repo, searchId: 'demo', baseCommit: repo.baseCommit, implementer: new ParamsImplementer() };
    const baseline = await runExperiment({ ...common, experimentId: 'e0', nodeId: 'root', hypothesis: { ...good, title: 'baseline', change: { kind: 'params', set: {} } } });
    const tuned = await runExperiment({ ...common, experimentId: 'e1', nodeId: 'n1', hypothesis: good });
    expect(baseline.status).toBe('succeeded');
    expect(tuned.status).toBe('succeeded');
    expect(tuned.devScore! - baseline.devScore!).toBeGreaterThan(0.2);
    const gateBaseline = await evaluateSealed({ task, repo, commit: baseline.commit!, which: 'gate' });
    const gateTuned = await evaluateSealed({ task, repo, commit: tuned.commit!, which: 'gate' });
    expect(gateTuned.score - gateBaseline.score).toBeGreaterThan(0.2);
  });
});
