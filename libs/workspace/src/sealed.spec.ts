import type { Hypothesis } from '@hypotree/task';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTaskFixture, type TaskFixture } from '../../../test/support/task-fixture.js';
import { prepareArtifact, type ArtifactRepo } from './artifact.js';
import { runExperiment } from './experiment.js';
import { AgentImplementer } from './implementers/agent.js';
import { ParamsImplementer } from './implementers/params.js';
import { evaluateSealed, SealedEvaluationError } from './sealed.js';
import { sandboxMode } from './sandbox.js';

let fx: TaskFixture;
let repo: ArtifactRepo;

const hypothesis = (change: Hypothesis['change']): Hypothesis => ({ title: 'probe', mechanism: 'm', prediction: 'p', change });

beforeAll(async () => {
  fx = createTaskFixture();
  repo = await prepareArtifact(fx.task, fx.workdir);
});
afterAll(() => fx.cleanup());

describe('sealed evaluation and experiment confinement', () => {
  it('runs in the isolated mode on this machine (root with unshare + setpriv), as CI does', () => {
    expect(sandboxMode()).toEqual({ kind: 'isolated' });
  });

  it('scores gate and test on their own sealed data only', async () => {
    const gate = await evaluateSealed({ task: fx.task, repo, commit: repo.baseCommit, which: 'gate', seed: 7 });
    expect(gate.score).toBeCloseTo(0.5 + 100 + 0.007, 10);
    const test = await evaluateSealed({ task: fx.task, repo, commit: repo.baseCommit, which: 'test' });
    expect(test.runs.map((r) => r.seed)).toEqual([1, 2]);
    expect(test.score).toBeCloseTo(0.5 + 200 + 0.0015, 10);
  });

  it('reports a failing sealed evaluator as a SealedEvaluationError with the output tail', async () => {
    const evidence = await runExperiment({
      task: fx.task, repo, experimentId: 'e-crash', nodeId: 'n-crash', searchId: 's2', baseCommit: repo.baseCommit,
      hypothesis: hypothesis({ kind: 'params', set: { mode: 'crash' } }), implementer: new ParamsImplementer(),
    });
    const failing = evaluateSealed({ task: fx.task, repo, commit: evidence.commit!, which: 'gate' });
    await expect(failing).rejects.toBeInstanceOf(SealedEvaluationError);
    await expect(failing).rejects.toThrow(/gate evaluation of [0-9a-f]{40} failed \(crash\)[\s\S]*boom: deliberate crash/);
  });

  it('keeps sealed data, the parent API key and root privileges away from an experiment that knows where they are', async () => {
    process.env.OPENAI_API_KEY = `sk-parent-${randomUUID()}`;
    const probe = [
      'id -u > probe.txt',
      `cat ${fx.task.sealed.test}/bonus.txt >> probe.txt 2>&1 || echo "test-sealed:denied" >> probe.txt`,
      `cat ${fx.task.sealed.gate}/bonus.txt >> probe.txt 2>&1 || echo "gate-sealed:denied" >> probe.txt`,
      `umount ${fx.task.sealed.test} >> probe.txt 2>&1 || echo "umount:denied" >> probe.txt`,
      'cat /proc/1/environ /proc/*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c sk-parent >> probe.txt',
      'env | grep -c sk-parent >> probe.txt',
      'env | grep -c -i sealed >> probe.txt',
      'exit 0',
    ].join('\n');
    const probeScript = path.join(fx.root, 'probe.sh');
    writeFileSync(probeScript, probe);
    try {
      const evidence = await runExperiment({
        task: { ...fx.task, spec: { ...fx.task.spec, allowedPaths: ['config.json', 'src/**', 'probe.txt'] } },
        repo, experimentId: 'e-probe', nodeId: 'n-probe', searchId: 's2', baseCommit: repo.baseCommit,
        hypothesis: hypothesis({ kind: 'freeform', instructions: 'read what you should not' }),
        implementer: new AgentImplementer({ command: '/bin/sh', args: [probeScript] }),
      });
      expect(evidence.sandbox).toBe('isolated');
      expect(evidence.failure).toBeUndefined();
      const { git } = await import('./git.js');
      const lines = (await git(repo.path, ['show', `${evidence.commit}:probe.txt`])).split('\n').map((l) => l.trim());
      expect(lines[0]).toBe('65534');
      expect(lines).toContain('test-sealed:denied');
      expect(lines).toContain('gate-sealed:denied');
      expect(lines).toContain('umount:denied');
      expect(lines).not.toContain('200');
      expect(lines).not.toContain('100');
      expect(lines.slice(-3)).toEqual(['0', '0', '0']);
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });
});
