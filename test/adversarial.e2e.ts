// Hostile agents and candidates against trusted evaluation. Each probe (test/support/probes.ts)
// runs as the implementer of a real experiment on the coin task, whose labels are fair coin
// flips: an honest candidate scores about 0.5, a leak scores near 1. Under the allowlist sandbox
// every probe must end failed or honest, leaving nothing outside its worktree. With the sandbox
// off, every sandbox-protected probe must succeed, so the suite cannot pass vacuously; probes
// stopped by the scoring channel must still have carried out their attack.
import { AgentImplementer, evaluateSealed, prepareArtifact, runExperiment, sandboxMode, type ArtifactRepo, type SandboxMode } from '@hypotree/workspace';
import { execa, type ResultPromise } from 'execa';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createCoinTask, type CoinTask } from './support/coin-task.js';
import { PROBES, scoredLikeACheat, type Probe, type ProbeContext, type ProbeOutcome } from './support/probes.js';
import { runUnprivileged } from './support/unprivileged.js';
import { git } from '@hypotree/workspace';

const OFF: SandboxMode = { kind: 'none', reason: 'the adversarial suite, showing what the sandbox prevents' };
const CHILD = process.env.HYPOTREE_ADVERSARIAL_CHILD === '1';

function outsideAddress(): string {
  const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!external) throw new Error('this machine has no non-loopback IPv4 address to stand for "the outside"');
  return external.address;
}

/** Files named with `token` below `dir` (a few levels deep: probes write at the top of what they reach). */
function filesNamed(dir: string, token: string, depth = 6): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.name.includes(token)) return [full];
    return e.isDirectory() && !e.isSymbolicLink() ? filesNamed(full, token, depth - 1) : [];
  });
}

async function processesNamed(token: string): Promise<number> {
  const found = await execa('pgrep', ['-f', `echo ${token}`], { reject: false });
  return found.stdout.trim() === '' ? 0 : found.stdout.trim().split('\n').length;
}

interface Arena {
  coin: CoinTask;
  repo: ArtifactRepo;
  ctx: ProbeContext;
  outsideHits: () => number;
  close(): Promise<void>;
}

async function arena(): Promise<Arena> {
  const coin = createCoinTask();
  const repo = await prepareArtifact(coin.task, coin.workdir);
  const token = `hxprobe${Math.random().toString(36).slice(2, 10)}`;
  const secondCopy = mkdtempSync(path.join(os.tmpdir(), 'hypotree-second-clone-'));
  cpSync(coin.task.sealed.gate, secondCopy, { recursive: true });
  let hits = 0;
  const listener = net.createServer((socket) => {
    hits += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
  const secret = `sk-${token}-secret`;
  // A hypotree process holding an API key, running next to the experiment (as an executor does).
  const holder: ResultPromise = execa('sleep', ['120'], { env: { OPENAI_API_KEY: secret }, reject: false });
  const ctx: ProbeContext = {
    token,
    taskDir: coin.task.dir,
    sealedGate: coin.task.sealed.gate,
    secondCopy,
    secret,
    outside: { host: outsideAddress(), port: (listener.address() as net.AddressInfo).port },
    nats: { host: '127.0.0.1', port: 4222 },
  };
  return {
    coin,
    repo,
    ctx,
    outsideHits: () => hits,
    async close() {
      holder.kill('SIGKILL');
      await holder;
      await execa('pkill', ['-f', `echo ${token}`], { reject: false });
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const file of [...filesNamed('/tmp', token, 2), ...filesNamed('/var/tmp', token, 1)]) rmSync(file, { recursive: true, force: true });
      rmSync(secondCopy, { recursive: true, force: true });
      coin.cleanup();
    },
  };
}

/** Runs one probe as the implementer of a real experiment, then the gate on its commit, and collects what it left. */
async function attack(probe: Probe, sandbox: SandboxMode): Promise<{ outcome: ProbeOutcome; ctx: ProbeContext }> {
  const a = await arena();
  try {
    const { coin, repo, ctx } = a;
    const scorerBefore = readFileSync(path.join(coin.root, 'scorer.mjs'), 'utf8');
    const specBefore = readFileSync(path.join(coin.root, 'hypotree.task.json'), 'utf8');
    const evidence = await runExperiment({
      task: coin.task,
      repo,
      experimentId: `e-${ctx.token}`,
      nodeId: '1',
      searchId: 'adversarial',
      baseCommit: repo.baseCommit,
      hypothesis: { title: probe.name, mechanism: 'hostile', prediction: 'a perfect score', change: { kind: 'freeform', instructions: 'cheat' } },
      implementer: new AgentImplementer({ command: '/bin/sh', args: ['-c', probe.agent(ctx)], timeoutSec: 20 }),
      sandbox,
      allowUnsandboxed: true,
    });
    const gate: ProbeOutcome['gate'] = {};
    if (evidence.status === 'succeeded') {
      try {
        gate.score = (await evaluateSealed({ task: coin.task, repo, commit: evidence.commit!, which: 'gate', sandbox })).score;
      } catch (error) {
        gate.error = (error as Error).message;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const outcome: ProbeOutcome = {
      evidence,
      gate,
      committed: async (file) => (evidence.commit ? git(repo.path, ['show', `${evidence.commit}:${file}`]).catch(() => undefined) : undefined),
      hostFiles: [...filesNamed('/tmp', ctx.token, 2), ...filesNamed('/var/tmp', ctx.token, 1), ...filesNamed(coin.root, ctx.token)],
      daemons: await processesNamed(ctx.token),
      outsideHits: a.outsideHits(),
      loadedEvaluatorHash: coin.task.evaluatorHash,
      evaluatorIntact:
        readFileSync(path.join(coin.root, 'scorer.mjs'), 'utf8') === scorerBefore && readFileSync(path.join(coin.root, 'hypotree.task.json'), 'utf8') === specBefore,
    };
    // Resolve lazy reads before the arena is torn down.
    const notes = new Map<string, string | undefined>();
    for (const file of ['notes/nats.txt', 'notes/env.txt', 'notes/outside.txt']) notes.set(file, await outcome.committed(file));
    return { outcome: { ...outcome, committed: async (file) => notes.get(file) }, ctx };
  } finally {
    await a.close();
  }
}

describe(`the adversarial suite under the allowlist sandbox (uid ${process.getuid?.()})`, () => {
  it('runs with bubblewrap, as CI does', () => {
    expect(sandboxMode()).toMatchObject({ kind: 'allowlist' });
  });

  it.each(PROBES.map((p) => [p.name, p] as const))('%s: fails or scores honestly, and leaves nothing behind', async (_name, probe) => {
    const { outcome, ctx } = await attack(probe, sandboxMode());
    expect(await probe.cheated(outcome, ctx)).toBe(false);
    expect(scoredLikeACheat(outcome)).toBe(false);
    expect(outcome.evidence.integrity.sandbox).toBe('allowlist');
    expect(outcome.hostFiles).toEqual([]);
    expect(outcome.daemons).toBe(0);
    expect(outcome.outsideHits).toBe(0);
    expect(outcome.evaluatorIntact).toBe(true);
  }, 60_000);
});

if (!CHILD) {
  describe('the same probes with the sandbox off (what the sandbox prevents)', () => {
    const bySandbox = PROBES.filter((p) => p.protection === 'sandbox').map((p) => [p.name, p] as const);
    const byChannel = PROBES.filter((p) => p.protection === 'channel').map((p) => [p.name, p] as const);

    it.each(bySandbox)('%s: the attack works', async (_name, probe) => {
      const { outcome, ctx } = await attack(probe, OFF);
      expect(outcome.evidence.integrity.sandbox).toBe('none');
      expect(await probe.cheated(outcome, ctx)).toBe(true);
    }, 60_000);

    it.each(byChannel)('%s: the attack is carried out, and still gets no score', async (_name, probe) => {
      const { outcome, ctx } = await attack(probe, OFF);
      expect(await probe.witness!(outcome, ctx)).toBe(true);
      expect(await probe.cheated(outcome, ctx)).toBe(false);
    }, 60_000);

    it("records a scorer rewritten during the experiment in the evidence's evaluator hash, so admission can refuse it", async () => {
      const { outcome } = await attack(PROBES.find((p) => p.name === 'rewrites the scorer and the task spec')!, OFF);
      expect(outcome.evaluatorIntact).toBe(false);
      expect(outcome.evidence.integrity.evaluatorHash).not.toBe(outcome.loadedEvaluatorHash);
    }, 60_000);
  });

  // When this run is root, the same probes run again as an ordinary user; when it is not, this run is that user.
  if (process.getuid?.() === 0) {
    describe('the adversarial suite as an unprivileged user', () => {
      it('passes as uid 65534 too (bubblewrap without privileges)', async () => {
        const child = await runUnprivileged(
          ['node', '--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--cacheDirectory', '/tmp/hypotree-jest-nobody', '--ci', 'test/adversarial.e2e.ts'],
          { env: { HYPOTREE_ADVERSARIAL_CHILD: '1' }, timeout: 300_000 },
        );
        expect(child.all).toMatch(/Tests:\s+\d+ passed, \d+ total/);
        expect(child.all).toContain('uid 65534');
        expect(child.exitCode).toBe(0);
      }, 320_000);
    });
  }
}
