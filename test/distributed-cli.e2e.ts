import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { RecordedSearchEvent } from '@hypotree/events';
import { lastJsonLine, spawnHypotree } from './support/cli.js';
import { freePort, reachable } from './support/nats-server.js';
import { readSearchLog, TASK, type Summary } from './support/search-log.js';
import { waitFor } from './support/wait.js';

// The README's secured cluster, as an operator starts it: credentials from deploy/keys.mjs,
// nats-server with the config it wrote, executors (two replicas sharing one key), a distiller and
// `hypotree run --nats`, each its own process with HYPOTREE_NKEY_FILE and HYPOTREE_TRUST_FILE.
// The coordinator is killed with SIGKILL mid-search and resumed; the search completes, with each
// experiment decided once.

let dir: string;
let workdir: string;
let url: string;
let server: ResultPromise | undefined;
const services: { name: string; process: ResultPromise; output: string[] }[] = [];

const credentials = (role: string) => ({ HYPOTREE_NKEY_FILE: path.join(dir, 'keys', `${role}.nk`), HYPOTREE_TRUST_FILE: path.join(dir, 'keys', 'trust.json') });

async function startService(name: string, args: string[], env: Record<string, string>, ready: string) {
  const process = spawnHypotree(args, env);
  const service = { name, process, output: [] as string[] };
  process.all!.on('data', (chunk: Buffer) => service.output.push(chunk.toString()));
  services.push(service);
  await waitFor(`${name} to be ready`, async () => (service.output.join('').includes(ready) ? true : undefined));
  return service;
}

const ofType = <T extends RecordedSearchEvent['type']>(events: RecordedSearchEvent[], type: T) =>
  events.filter((e): e is Extract<RecordedSearchEvent, { type: T }> => e.type === type);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-cli-secured-'));
  workdir = path.join(dir, 'work');
  fs.mkdirSync(workdir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  await execa('node', ['deploy/keys.mjs', path.join(dir, 'keys')]);
  const port = await freePort();
  url = `nats://127.0.0.1:${port}`;
  server = execa('nats-server', ['-c', path.join(dir, 'keys', 'nats-auth.conf'), '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', path.join(dir, 'js')], { reject: false, all: true });
  await waitFor('nats-server', async () => ((await reachable(port)) ? true : undefined), 5_000);
});

afterAll(async () => {
  for (const service of services) service.process.kill('SIGTERM');
  await Promise.all(services.map((s) => s.process));
  server?.kill('SIGTERM');
  await server;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a secured cluster from deploy/keys.mjs, as separate processes', () => {
  it('refuses a service with the wrong key or none, each in one line', async () => {
    const wrongKey = await execa('node', ['apps/hypotree/bin/hypotree.js', 'executor', '--nats', url, '--id', 'executor'], { env: { ...process.env, ...credentials('distiller') }, reject: false, all: true });
    expect(wrongKey.exitCode).not.toBe(0);
    expect(wrongKey.all).toMatch(/executor executor: the trust list does not give this id this nkey \(U\w{11}…\); add it to the trust list under executors/);
    const noKey = await execa('node', ['apps/hypotree/bin/hypotree.js', 'run', TASK, '--nats', url, '--workdir', path.join(dir, 'nokey'), '--budget', '1'], { reject: false, all: true });
    expect(noKey.exitCode).not.toBe(0);
    expect(noKey.all).toMatch(/without credentials: messages are neither authenticated nor signed/);
    expect(noKey.all).toMatch(/cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+ \(.*Authorization Violation.*\)/);
  });

  it('runs a search; the coordinator killed with SIGKILL mid-search resumes it to the end, each experiment decided once', async () => {
    await startService('executor 1', ['executor', '--nats', url, '--capacity', '1', '--workdir', path.join(dir, 'executor-1')], credentials('executor'), 'takes experiments');
    await startService('executor 2', ['executor', '--nats', url, '--capacity', '1', '--workdir', path.join(dir, 'executor-2')], credentials('executor'), 'takes experiments');
    await startService('distiller', ['distiller', '--nats', url, '--store', `sqlite:${path.join(workdir, 'events.db')}`], credentials('distiller'), 'distiller answers');
    for (const service of services) expect(service.output.join('')).not.toMatch(/without credentials/);

    const searchId = 'secured-cli';
    const args = ['run', TASK, '--budget', '3', '--parallel', '2', '--lease-ms', '3000', '--nats', url, '--workdir', workdir, '--search-id', searchId, '--json'];
    const first = spawnHypotree(args, credentials('coordinator'));
    await waitFor('a first ExperimentStarted', async () => {
      const events = fs.existsSync(path.join(workdir, 'events.db')) ? await readSearchLog(workdir, searchId) : [];
      return ofType(events, 'ExperimentStarted')[0];
    });
    first.kill('SIGKILL');
    expect((await first).signal).toBe('SIGKILL');

    const resuming = spawnHypotree(args, credentials('coordinator'));
    const deadline = setTimeout(() => resuming.kill('SIGKILL'), 60_000);
    const resumed = await resuming.finally(() => clearTimeout(deadline));
    expect(resumed.signal === 'SIGKILL' ? 'the resumed search did not finish within 60 s' : 'finished').toBe('finished');
    expect(resumed.exitCode).toBe(0);
    const summary = lastJsonLine<Summary>(String(resumed.stdout));
    const events = await readSearchLog(workdir, searchId);
    expect(summary.experiments).toBe(3);
    expect(ofType(events, 'SearchCompleted')).toHaveLength(1);
    const dispatched = ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId).sort();
    const outcomes = [...ofType(events, 'ExperimentSucceeded'), ...ofType(events, 'ExperimentFailed')].map((e) => e.data.experimentId).sort();
    expect(outcomes).toEqual(dispatched);
    // Both replicas share the pool's key and report as executor.<host>-<pid>.
    const executors = new Set(ofType(events, 'ExperimentStarted').map((e) => e.data.executorId));
    expect([...executors].every((id) => /^executor\.[\w.-]+-\d+$/.test(id))).toBe(true);
    expect(executors.size).toBeGreaterThan(0);
    expect(String(resumed.stderr)).not.toMatch(/without credentials/);
  }, 90_000);
});
