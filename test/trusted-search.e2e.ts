// Trusted evaluation through the CLI: a whole search driven by a hostile coding agent admits
// nothing under the sandbox (and is fooled with it off); an agent refuses to start where there is
// no sandbox unless the user says so; and the main job runs from a clone inside a 0700 home folder,
// as root and as an ordinary user.
import { chownSync, chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SearchSummary } from '@hypotree/coordinator';
import { hypotree, lastJsonLine, spawnHypotree } from './support/cli.js';
import { createCoinTask, type CoinTask } from './support/coin-task.js';
import { PROBES, type ProbeContext } from './support/probes.js';
import { runUnprivileged, UNPRIVILEGED_UID } from './support/unprivileged.js';

const LEAK = PROBES.find((p) => p.name === "reads sealed data at the path in the scorer's environment")!;

describe('a search driven by a hostile agent', () => {
  let coin: CoinTask;
  let agentDir: string;
  let agentArgs: string[];
  beforeEach(() => {
    coin = createCoinTask();
    agentDir = mkdtempSync(path.join(os.tmpdir(), 'hypotree-agent-'));
    const ctx = { taskDir: coin.task.dir, sealedGate: coin.task.sealed.gate } as ProbeContext;
    writeFileSync(path.join(agentDir, 'agent.sh'), LEAK.agent(ctx));
    agentArgs = ['--implementer', 'agent', '--agent', `/bin/sh ${agentDir}/agent.sh`, '--agent-bind', agentDir, '--budget', '3', '--parallel', '1', '--workdir', coin.workdir, '--json'];
  });
  afterEach(() => {
    coin.cleanup();
    rmSync(agentDir, { recursive: true, force: true });
  });

  it('admits nothing under the allowlist sandbox, and reports an honest held-out gain', async () => {
    const { stdout } = await hypotree(['run', coin.root, ...agentArgs]);
    const summary = lastJsonLine<SearchSummary>(stdout);
    expect(summary).toMatchObject({ sandbox: 'allowlist', admitted: 0, experiments: 3 });
    expect(summary.best.nodeId).toBe('0');
    expect(summary.relativeGain).toBe(0);
    expect(stdout).not.toContain('!! sandbox');
  });

  it('is fooled with the sandbox off (--allow-unsandboxed), and says so before anything else', async () => {
    // The leak is a scan of other processes' environments, which can miss under heavy load: five
    // experiments give the cheat several chances (each one that works scores 1 on dev and gate).
    const { stdout } = await hypotree(['run', coin.root, ...agentArgs, '--budget', '5', '--allow-unsandboxed'], { HYPOTREE_SANDBOX: 'none' });
    const summary = lastJsonLine<SearchSummary>(stdout);
    expect(summary).toMatchObject({ sandbox: 'none', allowUnsandboxed: true });
    expect(summary.admitted).toBeGreaterThan(0);
    // Honest play on the coin scores ≈ 0.5 on held-out data; a leak that worked scores 1 on every
    // run it caught (under load the scan can miss some of the test runs, e.g. 0.87 seen).
    expect(summary.best.test).toBeGreaterThan(summary.baseline.test! + 0.2);
    expect(stdout.startsWith('!! sandbox: none (--allow-unsandboxed)')).toBe(true);
  });

  it('refuses to start an agent where there is no sandbox unless --allow-unsandboxed is given', async () => {
    const run = await spawnHypotree(['run', coin.root, ...agentArgs], { HYPOTREE_SANDBOX: 'none' });
    expect(run.exitCode).toBe(2);
    expect(run.all).toContain('the agent implementer writes code, and this machine has no sandbox (HYPOTREE_SANDBOX=none)');
    expect(run.all).toContain('--allow-unsandboxed');
  });
});

describe('the main job from a clone inside a 0700 home folder', () => {
  /** A home folder only its owner may enter, holding a copy of examples/spirals. */
  function home(owner: number): { dir: string; task: string; cleanup(): void } {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hypotree-home-'));
    const task = path.join(dir, 'clone/examples/spirals');
    mkdirSync(path.dirname(task), { recursive: true });
    cpSync(path.resolve('examples/spirals'), task, { recursive: true });
    if (owner !== process.getuid?.()) for (const p of [dir, path.join(dir, 'clone'), path.dirname(task)]) chownSync(p, owner, owner);
    if (owner !== process.getuid?.()) chownTree(task, owner);
    chmodSync(dir, 0o700);
    return { dir, task, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it(`runs as ${process.getuid?.() === 0 ? 'root' : 'this user'}`, async () => {
    const h = home(process.getuid!());
    try {
      const { stdout } = await hypotree(['run', h.task, '--budget', '2', '--parallel', '1', '--workdir', path.join(h.dir, '.hypotree'), '--json']);
      const summary = lastJsonLine<SearchSummary>(stdout);
      expect(summary).toMatchObject({ sandbox: 'allowlist', experiments: 2, stopReason: expect.any(String) });
      expect(summary.baseline.test).toBeGreaterThan(0.4);
    } finally {
      h.cleanup();
    }
  }, 120_000);

  if (process.getuid?.() === 0) {
    it('runs as an ordinary user (uid 65534) whose home is 0700', async () => {
      const h = home(UNPRIVILEGED_UID);
      try {
        const run = await runUnprivileged(['node', 'apps/hypotree/bin/hypotree.js', 'run', h.task, '--budget', '2', '--parallel', '1', '--workdir', path.join(h.dir, '.hypotree'), '--json'], {
          env: { HOME: h.dir },
          timeout: 120_000,
        });
        expect(run.exitCode).toBe(0);
        expect(lastJsonLine<SearchSummary>(String(run.stdout))).toMatchObject({ sandbox: 'allowlist', experiments: 2 });
      } finally {
        h.cleanup();
      }
    }, 150_000);
  }
});

function chownTree(dir: string, owner: number): void {
  chownSync(dir, owner, owner);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, owner);
    else chownSync(full, owner, owner);
  }
}
