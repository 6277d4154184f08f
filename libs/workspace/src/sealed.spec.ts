import { loadTask, type Hypothesis } from '@hypotree/task';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
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

/** A scorer that reports 1 when it can read the other split's data (by the task folder or by its host path), else 0. */
const SNOOPING_SCORER = (otherHostPath: string, otherInTask: string) => `
import { existsSync } from 'node:fs';
import { reportMetric, scoringContext } from '@hypotree/scorer';
scoringContext();
const seen = [${JSON.stringify(otherHostPath)}, ${JSON.stringify(otherInTask)}].some((p) => existsSync(p + '/bonus.txt'));
await reportMetric(seen ? 1 : 0);
`;

describe('sealed evaluation', () => {
  it.each([
    ['gate', 'test'],
    ['test', 'gate'],
  ] as const)('lets the %s scorer see only its own split, never the %s data (which it sees with the sandbox off)', async (which, other) => {
    const own = createTaskFixture();
    try {
      writeFileSync(path.join(own.root, 'scorer.mjs'), SNOOPING_SCORER(own.task.sealed[other], `/task/sealed/${other}`));
      const task = loadTask(own.root);
      const ownRepo = await prepareArtifact(task, own.workdir);
      const sandboxed = await evaluateSealed({ task, repo: ownRepo, commit: ownRepo.baseCommit, which, seed: 1 });
      expect(sandboxed.score).toBe(0);
      const off = await evaluateSealed({ task, repo: ownRepo, commit: ownRepo.baseCommit, which, seed: 1, sandbox: { kind: 'none', reason: 'this test' } });
      expect(off.score).toBe(1);
    } finally {
      own.cleanup();
    }
  });

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
