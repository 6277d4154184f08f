import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from './process.js';
import { sandboxMode, type SandboxMode, type SandboxView } from './sandbox/index.js';

let scratch: string;
let view: SandboxView;
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'hypotree-run-'));
  view = {
    binds: [{ host: scratch, inside: '/work', writable: true }],
    cwd: scratch,
    limits: { cpuSec: 30, memoryBytes: 2 ** 32, processes: 256, fileBytes: 2 ** 24, tmpBytes: 2 ** 24 },
  };
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const none: SandboxMode = { kind: 'none', reason: 'this spec' };
const request = (script: string, extra: Partial<Parameters<typeof runProcess>[0]> = {}) =>
  runProcess({ command: '/bin/sh', args: ['-c', script], view, scratch, timeoutMs: 10_000, outputCapBytes: 1000, ...extra });

describe('runProcess', () => {
  it('runs in the allowlist sandbox on this machine (bubblewrap installed), as CI does', () => {
    expect(sandboxMode()).toMatchObject({ kind: 'allowlist' });
  });

  it('keeps only the last outputCapBytes of stderr, and of stdout unless stdout is data', async () => {
    const outcome = await request('i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo LAST');
    expect(outcome.truncated).toBe(true);
    expect(Buffer.byteLength(outcome.stdout)).toBeLessThanOrEqual(1000);
    expect(outcome.stdout.endsWith('line 1999\nLAST\n')).toBe(true);
  });

  it('keeps stdout whole as data under its limit, and kills a process that writes past it', async () => {
    const fits = await request('printf "%0900d" 0', { stdoutLimitBytes: 1000 });
    expect(fits).toMatchObject({ overflowed: false, exitCode: 0 });
    expect(fits.stdout).toHaveLength(900);
    const floods = await request('yes data', { stdoutLimitBytes: 1000 });
    expect(floods.overflowed).toBe(true);
    expect(floods.stdout).toBe('');
    expect(floods.durationMs).toBeLessThan(5000);
  });

  it.each([['allowlist', undefined], ['none', none]] as const)('gives a scrubbed environment (%s), dropping credentials but passing explicit extras', async (_name, sandbox) => {
    process.env.HYPOTREE_TEST_TOKEN = 'tok';
    process.env.SOME_API_KEY = 'key';
    try {
      const outcome = await request('env | sort; test -w "$HOME" && echo home-writable', { env: { HYPOTREE_SEED: '9' }, stdin: '', sandbox });
      const names = outcome.stdout.split('\n').map((l) => l.split('=')[0]);
      expect(names).not.toContain('HYPOTREE_TEST_TOKEN');
      expect(names).not.toContain('SOME_API_KEY');
      expect(outcome.stdout).toContain('HYPOTREE_SEED=9');
      expect(outcome.stdout).toContain('home-writable');
      expect(outcome.sandbox).toBe(sandbox?.kind ?? 'allowlist');
    } finally {
      delete process.env.HYPOTREE_TEST_TOKEN;
      delete process.env.SOME_API_KEY;
    }
  });

  it('sees only the bound folder at its fixed place, a private /tmp and the system folders', async () => {
    const outcome = await request('pwd; ls /; ls /tmp | wc -l; test -e /etc/passwd && echo passwd-visible; test -e /root && echo root-visible; exit 0');
    const lines = outcome.stdout.trim().split('\n');
    expect(lines[0]).toBe('/work');
    expect(lines).not.toContain('passwd-visible');
    expect(lines).not.toContain('root-visible');
    expect(lines).toContain('work');
    expect(lines).not.toContain('home');
  });

  it('enforces the memory limit on what a process writes, without breaking WebAssembly reservations', async () => {
    const small = { ...view, limits: { ...view.limits, memoryBytes: 512 * 2 ** 20 } };
    const node = process.execPath;
    const hog = await runProcess({ command: node, args: ['-e', 'const a = []; for (let i = 0; i < 20; i++) a.push(Buffer.alloc(1e8, 1));'], view: small, scratch, timeoutMs: 20_000, outputCapBytes: 2000 });
    expect(hog.exitCode).not.toBe(0);
    const wasm = await runProcess({ command: node, args: ['-e', 'new WebAssembly.Memory({ initial: 1, maximum: 65536 }); console.log("wasm ok")'], view: small, scratch, timeoutMs: 20_000, outputCapBytes: 2000 });
    expect(wasm).toMatchObject({ exitCode: 0, stdout: 'wasm ok\n' });
  });

  it('passes stdin and reports exit codes; kills the sandbox on abort', async () => {
    const echoed = await request('cat; exit 4', { stdin: 'hello' });
    expect(echoed).toMatchObject({ stdout: 'hello', exitCode: 4, timedOut: false });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const aborted = await request('sleep 30', { signal: controller.signal });
    expect(aborted.aborted).toBe(true);
    expect(aborted.durationMs).toBeLessThan(5000);
  });
});
