// Per-experiment overhead of the distributed path (NATS with per-role nkeys and subject
// permissions, signed dispatches and reports bound by nonce) against the embedded in-process
// transport, for null experiments, in one run: dispatches over core NATS (`--dispatch core`) and
// through the JetStream work queue (the default: published to a stream, pulled by the executor,
// acked after its result). The same Nest apps on both transports: a
// "coordinator" that dispatches and waits for each result, a null executor that answers at once.
//   - transport only: the executor reports started and a result as soon as a dispatch arrives;
//   - null experiment: the executor first does what a null experiment costs (git worktree add,
//     `true` in the candidate's sandbox, remove), as in bench/worktree.mjs.
// Dispatches run one after another; the transports are interleaved in rounds so they see the
// same machine load. Needs nats-server on PATH (it starts its own on a free port).
// Run: npm run build && node bench/dispatch.mjs [dispatches per transport, default 200] [null experiments, default 20]
import 'reflect-metadata';
import { execa } from 'execa';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import {
  createUserKey, DispatchExperimentSchema, DispatchLedger, EXECUTOR_QUEUE, executorInbox, ExperimentResultMessageSchema, identityFromSeed, InProcessBus, InProcessClient,
  InProcessServer, ArtifactStore, commitObjectName, natsAuthConfig, natsClient, natsMicroservice, open, parseMessage, parseTrustList, Patterns, pullDispatches, reportPolicy, signersOf, workQueueFor,
} from '@hypotree/messaging';
import { loadTask } from '@hypotree/task';
import { addWorktree, bundleCommit, candidateView, importCommit, prepareArtifact, removeWorktree, runProcess, sandboxMode } from '@hypotree/workspace';
import { execFile } from 'node:child_process';

const DISPATCHES = Number(process.argv[2] ?? 200);
const EXPERIMENTS = Number(process.argv[3] ?? 20);
const ROUNDS = 4;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-bench-dispatch-'));
fs.cpSync(path.resolve('examples/spirals'), path.join(root, 'task'), { recursive: true });
const task = loadTask(path.join(root, 'task'));
const repo = await prepareArtifact(task, path.join(root, 'work'));

async function nullExperiment(id) {
  const worktree = await addWorktree(repo, repo.baseCommit, `bench-${id.replace('#', '-')}`);
  try {
    const run = await runProcess({ command: 'true', args: [], view: candidateView(task, worktree.dir, true, 10_000), scratch: repo.workdir, timeoutMs: 10_000, outputCapBytes: 10_000 });
    if (run.exitCode !== 0) throw new Error(`null run failed: ${run.stderr}`);
  } finally {
    await removeWorktree(repo, worktree);
  }
}

const evidenceOf = (d) => ({
  experimentId: d.experimentId, nodeId: d.nodeId, searchId: d.searchId, baseCommit: d.baseCommit, status: 'succeeded', refusals: [], devScore: 0.5,
  runs: [{ seed: 0, value: 0.5 }], commit: d.baseCommit, ref: 'refs/null', implementation: { implementer: 'params', summary: '', attempts: 1 },
  report: '', durationMs: 0, stdoutTail: '', stderrTail: '', integrity: { sandbox: 'none', specHash: 'x', evaluatorHash: 'x', changedPaths: [] },
});

// The null executor: validate the dispatch, (optionally) run the null experiment, report.
async function nullExecute(client, state, payload) {
  const d = parseMessage(DispatchExperimentSchema, Patterns.dispatchExperiment, payload);
  const who = { searchId: d.searchId, experimentId: d.experimentId, nodeId: d.nodeId, executorId: 'bench', ...(d.nonce ? { nonce: d.nonce } : {}) };
  await lastValueFrom(client.emit(Patterns.experimentStarted, who), { defaultValue: undefined });
  if (state.work) await nullExperiment(d.experimentId);
  await lastValueFrom(client.emit(Patterns.experimentResult, { ...who, evidence: evidenceOf(d) }), { defaultValue: undefined });
}

function executorModule(client, state) {
  class NullExecutor {
    async dispatch(payload) {
      return nullExecute(client, state, payload);
    }
  }
  const method = Object.getOwnPropertyDescriptor(NullExecutor.prototype, 'dispatch');
  EventPattern(Patterns.dispatchExperiment, { queue: EXECUTOR_QUEUE })(NullExecutor.prototype, 'dispatch', method);
  Controller()(NullExecutor);
  class M {}
  Module({ controllers: [NullExecutor] })(M);
  return M;
}

// The coordinator's side: each validated result resolves the dispatch waiting for it.
function coordinatorModule(waiting) {
  class Reports {
    result(payload) {
      const r = parseMessage(ExperimentResultMessageSchema, Patterns.experimentResult, payload);
      waiting.get(r.experimentId)?.(r);
    }
  }
  const method = Object.getOwnPropertyDescriptor(Reports.prototype, 'result');
  EventPattern(Patterns.experimentResult)(Reports.prototype, 'result', method);
  Controller()(Reports);
  class M {}
  Module({ controllers: [Reports] })(M);
  return M;
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A secured nats-server: the deploy config (deploy/keys.mjs' nats-auth.conf) for these keys.
const keys = { coordinator: createUserKey(), executor: createUserKey(), distiller: createUserKey() };
const trust = parseTrustList({ coordinator: [keys.coordinator.publicKey], executors: { bench: keys.executor.publicKey }, distillers: [keys.distiller.publicKey] });
const security = (role) => ({ identity: identityFromSeed(keys[role].seed), trust });
fs.writeFileSync(path.join(root, 'nats.conf'), natsAuthConfig([
  { role: 'coordinator', publicKey: keys.coordinator.publicKey, name: 'coordinator' },
  { role: 'executor', publicKey: keys.executor.publicKey, name: 'bench' },
]));
const port = await freePort();
const nats = execa('nats-server', ['-c', path.join(root, 'nats.conf'), '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', path.join(root, 'js')], { reject: false });
for (let i = 0; i < 100; i++) {
  const up = await new Promise((resolve) => net.connect(port, '127.0.0.1').once('connect', function () { this.destroy(); resolve(true); }).once('error', () => resolve(false)));
  if (up) break;
  await new Promise((r) => setTimeout(r, 50));
}
const url = `nats://127.0.0.1:${port}`;

/** One transport: the two apps and the coordinator's dispatching client. */
async function transport(kind) {
  const waiting = new Map();
  const state = { work: false };
  const apps = [];
  let dispatcher;
  let executorClient;
  const start = async (module, options) => {
    const app = await NestFactory.createMicroservice(module, { ...options, logger: process.env.BENCH_DEBUG ? ['warn', 'error'] : false });
    await app.listen();
    apps.push(app);
  };
  if (kind === 'in-process') {
    const bus = new InProcessBus();
    dispatcher = new InProcessClient(bus);
    executorClient = new InProcessClient(bus);
    await start(coordinatorModule(waiting), { strategy: new InProcessServer(bus) });
    await start(executorModule(executorClient, state), { strategy: new InProcessServer(bus) });
  } else {
    const ledger = new DispatchLedger({ secret: keys.coordinator.seed });
    const coordinator = security('coordinator');
    const executor = security('executor');
    const queued = kind === 'jetstream';
    dispatcher = natsClient({ servers: [url], name: 'bench-coordinator' }, { security: coordinator, ledger, ...(queued ? { workQueue: workQueueFor(60_000) } : {}) });
    executorClient = natsClient({ servers: [url], name: 'bench-executor', inboxPrefix: executorInbox('bench') }, { security: executor });
    await dispatcher.connect();
    await executorClient.connect();
    await start(coordinatorModule(waiting), natsMicroservice({ servers: [url] }, { identity: coordinator.identity, inbound: reportPolicy(coordinator, ledger) }));
    if (queued) {
      // The executor service's pull loop: one dispatch at a time, verified, run, acked after its result.
      const stop = new AbortController();
      const coordinators = signersOf(trust).coordinator;
      let idle = Promise.resolve();
      const pulling = pullDispatches(executorClient.natsConnection, {
        room: () => idle,
        take: (q) => {
          idle = nullExecute(executorClient, state, open(q.data, Patterns.dispatchExperiment, coordinators).message).then(() => q.ack());
        },
        log: { log() {}, warn: (m) => process.env.BENCH_DEBUG && console.error(m) },
        signal: stop.signal,
      });
      apps.push({ close: async () => (stop.abort(), await pulling) });
    } else {
      await start(executorModule(executorClient, state), natsMicroservice({ servers: [url] }, { identity: executor.identity, inbound: { signers: { [Patterns.dispatchExperiment]: signersOf(trust).coordinator } } }));
    }
  }
  let n = 0;
  return {
    kind,
    state,
    dispatcher,
    /** Dispatches one experiment and waits for its result; its time in ms. */
    async once() {
      n += 1;
      const d = {
        searchId: `bench-${kind}`, experimentId: `${n}#1`, nodeId: String(n), attempt: 1, baseCommit: repo.baseCommit, leaseMs: 60_000, taskSpec: task.specPath, workdir: repo.workdir,
        hypothesis: { title: 'null', mechanism: '', prediction: '', change: { kind: 'params', set: {} } }, implementer: { kind: 'params' },
      };
      const t = performance.now();
      const done = new Promise((resolve) => waiting.set(d.experimentId, resolve));
      await lastValueFrom(dispatcher.emit(Patterns.dispatchExperiment, d), { defaultValue: undefined });
      await done;
      waiting.delete(d.experimentId);
      return performance.now() - t;
    },
    async close() {
      for (const app of apps.reverse()) await app.close();
      await dispatcher.close();
      await executorClient.close();
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const paths = [await transport('in-process'), await transport('nats'), await transport('jetstream')];
const times = { transport: { 'in-process': [], nats: [], jetstream: [] }, experiment: { 'in-process': [], nats: [], jetstream: [] }, bundle: [], commit: [] };

/** git in `cwd` with optional stdin; its trimmed stdout. */
function git(cwd, args, env = {}, input) {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd, env: { ...process.env, ...env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@localhost' } }, (error, stdout, stderr) => (error ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout.trim())));
    if (input !== undefined) child.stdin.end(input);
  });
}

// A node commit like an experiment's: the base with one changed file (its own content each time).
async function nodeCommit(i) {
  const blob = await git(repo.path, ['hash-object', '-w', '--stdin'], {}, JSON.stringify({ learningRate: 0.001 * (i + 1) }));
  const tree = await git(repo.path, ['mktree'], {}, `100644 blob ${blob}\tconfig.json\n`);
  return git(repo.path, ['commit-tree', tree, '-p', repo.baseCommit, '-m', `bench ${i}`]);
}
try {
  for (const p of paths) for (let i = 0; i < 20; i++) await p.once(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of paths) {
      p.state.work = false;
      for (let i = 0; i < DISPATCHES / ROUNDS; i++) times.transport[p.kind].push(await p.once());
      p.state.work = true;
      for (let i = 0; i < EXPERIMENTS / ROUNDS; i++) times.experiment[p.kind].push(await p.once());
    }
  }
  // Executors without a shared filesystem: what a node commit's trip costs (the executor bundles its
  // commit and puts it in the object store; the coordinator gets it, verifies it and fetches it into
  // its repository), per experiment, against nothing on the shared-folder path.
  const { natsConnection } = paths[2].dispatcher;
  const store = await ArtifactStore.open(natsConnection, { create: true });
  const coordinatorRepo = path.join(root, 'coordinator.git');
  await git(root, ['init', '--quiet', '--bare', coordinatorRepo]);
  await importCommit(coordinatorRepo, await bundleCommit(repo, repo.baseCommit), repo.baseCommit, 'refs/heads/main');
  for (let i = 0; i < EXPERIMENTS; i++) {
    const t = performance.now();
    const commit = await nodeCommit(i);
    const made = performance.now();
    await store.put(commitObjectName(commit), await bundleCommit(repo, commit));
    await importCommit(coordinatorRepo, await store.get(commitObjectName(commit)), commit, `refs/hypotree/bench/${i}`);
    times.bundle.push(performance.now() - made);
    times.commit.push(made - t);
  }
} finally {
  for (const p of paths) await p.close();
  nats.kill('SIGTERM');
  await nats;
  fs.rmSync(root, { recursive: true, force: true });
}

console.log(`dispatch → started → result, one at a time; ${DISPATCHES} dispatches and ${EXPERIMENTS} null experiments per transport, interleaved in ${ROUNDS} rounds; sandbox: ${sandboxMode().kind}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
const label = { nats: 'core NATS', jetstream: 'JetStream work queue' };
for (const what of ['transport', 'experiment']) {
  const a = times[what]['in-process'];
  console.log(`  ${what === 'transport' ? 'transport only ' : 'null experiment'}: in-process median ${median(a).toFixed(2)} ms (mean ${mean(a).toFixed(2)})`);
  for (const kind of ['nats', 'jetstream']) {
    const b = times[what][kind];
    console.log(`    ${label[kind]} + nkeys + signatures: median ${median(b).toFixed(2)} ms (mean ${mean(b).toFixed(2)}); ratio ${(median(b) / median(a)).toFixed(2)}, overhead ${(median(b) - median(a)).toFixed(2)} ms per dispatch`);
  }
}

const m = median(times.experiment.jetstream);
console.log(`  node commit as a git bundle through the object store (bundle, put; get, verify, fetch; ${EXPERIMENTS} commits): median ${median(times.bundle).toFixed(2)} ms per experiment (mean ${mean(times.bundle).toFixed(2)}), ${((median(times.bundle) / m) * 100).toFixed(0)}% of a null experiment through the queue (${m.toFixed(2)} ms); nothing on the shared-folder path`);
