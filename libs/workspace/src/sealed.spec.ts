import type { Hypothesis } from '@hypotree/task';
import { createTaskFixture, type TaskFixture } from '../../../test/support/task-fixture.js';
import { prepareArtifact, type ArtifactRepo } from './artifact.js';
import { runExperiment } from './experiment.js';
import { ParamsImplementer } from './implementers/params.js';
import { evaluateSealed, SealedEvaluationError } from './sealed.js';

let fx: TaskFixture;
let repo: ArtifactRepo;

const hypothesis = (change: Hypothesis['change']): Hypothesis => ({ title: 'probe', mechanism: 'm', prediction: 'p', change });

beforeAll(async () => {
  fx = createTaskFixture();
  repo = await prepareArtifact(fx.task, fx.workdir);
});
afterAll(() => fx.cleanup());

describe('sealed evaluation', () => {
  it('scores gate and test on their own sealed data only, in the allowlist sandbox', async () => {
    const gate = await evaluateSealed({ task: fx.task, repo, commit: repo.baseCommit, which: 'gate', seed: 7 });
    expect(gate.score).toBeCloseTo(0.5 + 100 + 0.007, 10);
    expect(gate.sandbox).toBe('allowlist');
    const test = await evaluateSealed({ task: fx.task, repo, commit: repo.baseCommit, which: 'test' });
    expect(test.runs.map((r) => r.seed)).toEqual([1, 2]);
    expect(test.score).toBeCloseTo(0.5 + 200 + 0.0015, 10);
  });

  it('reports a crashing candidate as a SealedEvaluationError of kind crash, naming the candidate run', async () => {
    const evidence = await runExperiment({
      task: fx.task, repo, experimentId: 'e-crash', nodeId: 'n-crash', searchId: 's2', baseCommit: repo.baseCommit,
      hypothesis: hypothesis({ kind: 'params', set: { mode: 'crash' } }), implementer: new ParamsImplementer(),
    });
    expect(evidence.failure?.kind).toBe('crash');
    const failing = evaluateSealed({ task: fx.task, repo, commit: evidence.commit!, which: 'gate' });
    await expect(failing).rejects.toBeInstanceOf(SealedEvaluationError);
    await expect(failing).rejects.toThrow(/gate evaluation of [0-9a-f]{40} failed \(crash\): .*candidate run 1 \(node candidate\.mjs\) failed \(crash\): exited with code 3/);
  });

  it('reports output that is not an answer as malformed-output, never as a score', async () => {
    const evidence = await runExperiment({
      task: fx.task, repo, experimentId: 'e-silent', nodeId: 'n-silent', searchId: 's2', baseCommit: repo.baseCommit,
      hypothesis: hypothesis({ kind: 'params', set: { mode: 'silent' } }), implementer: new ParamsImplementer(),
    });
    expect(evidence.failure?.kind).toBe('malformed-output');
    expect(evidence.runs).toEqual([]);
    await expect(evaluateSealed({ task: fx.task, repo, commit: evidence.commit!, which: 'test' })).rejects.toMatchObject({ kind: 'malformed-output' });
  });
});
