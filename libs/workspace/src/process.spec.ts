import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from './process.js';
import { EXPERIMENT_UID } from './sandbox.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'hypotree-run-'));
  chmodSync(scratch, 0o711);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const request = (script: string, extra: Partial<Parameters<typeof runProcess>[0]> = {}) =>
  runProcess({
    command: '/bin/sh', args: ['-c', script], cwd: '/', scratch, timeoutMs: 10_000, outputCapBytes: 1000,
    confinement: { uid: EXPERIMENT_UID, hide: [], network: false }, ...extra,
  });

describe('runProcess', () => {
  it('keeps only the last outputCapBytes of output, so the final metric line survives', async () => {
    const outcome = await request('i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo LAST');
    expect(outcome.truncated).toBe(true);
    expect(Buffer.byteLength(outcome.stdout)).toBeLessThanOrEqual(1000);
    expect(outcome.stdout.endsWith('line 1999\nLAST\n')).toBe(true);
  });

  it('gives a scrubbed environment with a private HOME, dropping credentials but passing explicit extras', async () => {
    process.env.HYPOTREE_TEST_TOKEN = 'tok';
    process.env.SOME_API_KEY = 'key';
    try {
      const outcome = await request('env | sort; test -w "$HOME" && echo home-writable', { env: { HYPOTREE_SEED: '9' }, stdin: '' });
      const names = outcome.stdout.split('\n').map((l) => l.split('=')[0]);
      expect(names).not.toContain('HYPOTREE_TEST_TOKEN');
      expect(names).not.toContain('SOME_API_KEY');
      expect(outcome.stdout).toContain('HYPOTREE_SEED=9');
      expect(outcome.stdout).toContain(`HOME=${scratch}/home-`);
      expect(outcome.stdout).toContain('home-writable');
    } finally {
      delete process.env.HYPOTREE_TEST_TOKEN;
      delete process.env.SOME_API_KEY;
    }
  });

  it('passes stdin and reports exit codes; kills the group on abort', async () => {
    const echoed = await request('cat; exit 4', { stdin: 'hello' });
    expect(echoed).toMatchObject({ stdout: 'hello', exitCode: 4, timedOut: false });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const aborted = await request('sleep 30', { signal: controller.signal });
    expect(aborted.aborted).toBe(true);
    expect(aborted.durationMs).toBeLessThan(5000);
  });
});
