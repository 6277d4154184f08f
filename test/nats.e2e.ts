import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern, Payload, type ClientProxy } from '@nestjs/microservices';
import { connect } from '@nats-io/transport-node';
import type { ResultPromise } from 'execa';
import { lastValueFrom } from 'rxjs';
import { ROOT_NODE_ID, type RecordedSearchEvent } from '@hypotree/events';
import { natsClient, natsMicroservice, parseMessage, Patterns } from '@hypotree/messaging';
import { fold, relativeGain, searchCounts } from '@hypotree/tree';
import { z } from 'zod';
import { lastJsonLine, spawnHypotree } from './support/cli.js';
import { countOf, readSearchLog, TASK, type Summary } from './support/search-log.js';
import { startTestNats, type TestNats } from './support/nats-server.js';
import { waitFor } from './support/wait.js';

// The distributed mode against a real nats-server: Nest's NATS transport with our queue groups,
// then executor and distiller services as separate processes of the built CLI, driven by
// `hypotree run --nats`. Every process this file starts, it stops.

const ofType = <T extends RecordedSearchEvent['type']>(events: RecordedSearchEvent[], type: T) =>
  events.filter((e): e is Extract<RecordedSearchEvent, { type: T }> => e.type === type);

let nats: TestNats;
let workdir: string;
const services: { name: string; process: ResultPromise; output: string[] }[] = [];

const readLog = (searchId: string) => readSearchLog(workdir, searchId);

/** Starts `hypotree <service> …` as its own process and waits for its ready line. */
async function startService(name: string, args: string[], ready: string) {
  const process = spawnHypotree(args);
  const service = { name, process, output: [] as string[] };
  process.all!.on('data', (chunk: Buffer) => service.output.push(chunk.toString()));
  services.push(service);
  await waitFor(`${name} to be ready`, async () => (service.output.join('').includes(ready) ? true : undefined), 20_000);
  return service;
}

beforeAll(async () => {
  nats = await startTestNats();
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-nats-e2e-'));
  fs.chmodSync(workdir, 0o755);
});

afterAll(async () => {
  for (const service of services) service.process.kill('SIGTERM');
  await Promise.all(services.map((s) => s.process));
  await nats?.stop();
  if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
});

describe('Nest over a real NATS server (the transport the services use)', () => {
  const received: { worker: string; data: unknown }[] = [];
  const rejected: string[] = [];

  function workerModule(name: string) {
    @Controller()
    class WorkerController {
      @EventPattern('test.job', { queue: 'test-workers' })
      job(@Payload() data: unknown) {
        try {
          received.push({ worker: name, data: parseMessage(z.object({ i: z.number() }), 'test.job', data) });
        } catch (error) {
          rejected.push((error as Error).message);
        }
      }

      @EventPattern('test.broadcast')
      broadcast(@Payload() data: unknown) {
        received.push({ worker: `${name}:broadcast`, data });
      }

      @MessagePattern('test.double', { queue: 'test-workers' })
      double(@Payload() data: { n: number }) {
        return { n: data.n * 2, by: name };
      }
    }
    @Module({ controllers: [WorkerController] })
    class WorkerModule {}
    return WorkerModule;
  }

  it('gives each queued event to exactly one worker, broadcasts plain events, answers requests, and rejects non-JSON by contract', async () => {
    const connection = { servers: [nats.url] };
    const apps: INestMicroservice[] = [];
    for (const name of ['a', 'b']) {
      const app = await NestFactory.createMicroservice(workerModule(name), { ...natsMicroservice(connection), logger: false });
      await app.listen();
      apps.push(app);
    }
    const client: ClientProxy = natsClient(connection);
    try {
      for (let i = 0; i < 40; i++) await lastValueFrom(client.emit('test.job', { i }), { defaultValue: undefined });
      await lastValueFrom(client.emit('test.broadcast', { hello: true }), { defaultValue: undefined });
      const raw = await connect({ servers: nats.url });
      raw.publish('test.job', '{this is not json');
      await raw.drain();
      await waitFor('40 jobs, 2 broadcasts and 1 rejection', async () => (received.length === 42 && rejected.length === 1 ? true : undefined), 5_000);

      const jobs = received.filter((r) => !r.worker.includes('broadcast'));
      expect(jobs.map((j) => (j.data as { i: number }).i).sort((x, y) => x - y)).toEqual([...Array(40).keys()]);
      const byA = jobs.filter((j) => j.worker === 'a').length;
      expect(byA).toBeGreaterThan(0); // both queue members take work (40 random picks all alike: p = 2^-39)
      expect(byA).toBeLessThan(40);
      expect(received.filter((r) => r.worker.includes('broadcast')).map((r) => r.worker).sort()).toEqual(['a:broadcast', 'b:broadcast']);
      expect(rejected[0]).toMatch(/^rejected test\.job: \(message\): .*expected object/);

      const reply = await lastValueFrom(client.send('test.double', { n: 21 }));
      expect(reply).toMatchObject({ n: 42 });
    } finally {
      await client.close();
      for (const app of apps) await app.close();
    }
  });
});

describe('hypotree run --nats with executor and distiller services (separate processes)', () => {
  it('runs a search on two executors, each experiment exactly once; forged and malformed reports change nothing', async () => {
    await startService('executor exA', ['executor', '--nats', nats.url, '--id', 'exA', '--capacity', '1', '--workdir', path.join(workdir, 'executors', 'exA')], 'takes experiments');
    await startService('executor exB', ['executor', '--nats', nats.url, '--id', 'exB', '--capacity', '1', '--workdir', path.join(workdir, 'executors', 'exB')], 'takes experiments');
    await startService('distiller', ['distiller', '--nats', nats.url, '--store', `sqlite:${path.join(workdir, 'events.db')}`], 'distiller answers');

    const searchId = 'over-nats';
    const run = spawnHypotree(['run', TASK, '--budget', '4', '--parallel', '2', '--nats', nats.url, '--workdir', workdir, '--search-id', searchId, '--json']);
    // While the search runs: forge a result for an experiment in flight, and publish bytes that are not JSON.
    const started = await waitFor('a first ExperimentStarted', async () => {
      const events = fs.existsSync(path.join(workdir, 'events.db')) ? await readLog(searchId) : [];
      return ofType(events, 'ExperimentStarted')[0];
    }, 30_000);
    const raw = await connect({ servers: nats.url });
    const { experimentId, nodeId } = started.data;
    // A result that matches its contract in every field but one (runs): it must not be recorded.
    const evidence = {
      experimentId, nodeId, searchId, baseCommit: 'forged', status: 'succeeded', refusals: [], devScore: 0.99, runs: 'many', commit: 'forged',
      implementation: { implementer: 'params', summary: 'forged', attempts: 1 }, report: 'forged', durationMs: 1, stdoutTail: '', stderrTail: '', sandbox: 'none',
    };
    const forged = { searchId, experimentId, nodeId, executorId: 'forger', evidence };
    raw.publish(Patterns.experimentResult, JSON.stringify({ pattern: Patterns.experimentResult, data: forged }));
    raw.publish(Patterns.experimentResult, 'garbage \u0000 not json');
    raw.publish(Patterns.experimentStarted, JSON.stringify({ pattern: Patterns.experimentStarted, data: { searchId, executorId: 'forger' } }));
    await raw.drain();

    const result = await run;
    expect(result.exitCode).toBe(0);
    const summary = lastJsonLine<Summary>(String(result.stdout));
    const events = await readLog(searchId);
    const tree = fold(events);

    // The summary and the log agree, as in the embedded mode.
    expect(events[0]!.type).toBe('SearchStarted');
    expect(summary.experiments).toBe(4);
    expect(searchCounts(tree).experiments).toBe(4);
    expect(countOf(events, 'FinalTestEvaluated')).toBe(1);
    expect(countOf(events, 'HypothesisAdmitted')).toBe(summary.admitted);
    expect(countOf(events, 'GateEvaluated')).toBe(summary.gateEvaluations);
    expect(summary.relativeGain).toBeCloseTo(relativeGain(summary.best.test!, summary.baseline.test!, 'maximize'), 12);
    expect(tree.nodes.get(ROOT_NODE_ID)!.result!.mean).toBe(summary.baseline.dev);

    // The queue group: every experiment started once, by one of the two executors, and has one result.
    const starts = ofType(events, 'ExperimentStarted');
    expect(starts).toHaveLength(4);
    expect(new Set(starts.map((e) => e.data.experimentId)).size).toBe(4);
    expect(starts.every((e) => e.data.executorId === 'exA' || e.data.executorId === 'exB')).toBe(true);
    expect(countOf(events, 'ExperimentSucceeded') + countOf(events, 'ExperimentFailed')).toBe(4);
    expect(countOf(events, 'ExperimentDispatched')).toBe(4);

    // The forged and malformed messages were rejected with a reason and left no trace in the log.
    expect(JSON.stringify(events)).not.toMatch(/forger|"forged"/);
    const stderr = String(result.stderr);
    expect(stderr).toMatch(/rejected hypotree\.experiment\.result: evidence\.runs: [^;]*expected array/);
    expect(stderr).toMatch(/rejected hypotree\.experiment\.result: \(message\): .*expected object/);
    expect(stderr).toMatch(/rejected hypotree\.experiment\.started: experimentId: [^;]*; nodeId: /);
    // Every distill request found a distiller (a missing one is a logged warning, and the search goes on without insights).
    expect(stderr).not.toMatch(/distiller failed/);
  }, 90_000); // separate processes, task and commits as bundles: ~25 s alone, more on a loaded machine

  it('over core NATS, re-dispatches to the other executor when the one running an experiment is killed (its lease expires)', async () => {
    expect(services.filter((s) => s.name.startsWith('executor'))).toHaveLength(2);
    const searchId = 'lost-executor';
    // A slow implementer (the agent sleeps 4 s) so the experiment is surely still running at the kill.
    const run = spawnHypotree([
      'run', TASK, '--budget', '1', '--parallel', '1', '--lease-ms', '1500', '--implementer', 'agent', '--agent', 'sleep 4',
      '--nats', nats.url, '--dispatch', 'core', '--workdir', workdir, '--search-id', searchId, '--json',
    ]);
    const first = await waitFor('the first attempt to start', async () => ofType(await readLog(searchId).catch(() => []), 'ExperimentStarted')[0], 30_000);
    const victim = services.find((s) => s.name === `executor ${first.data.executorId}`)!;
    victim.process.kill('SIGKILL');
    await victim.process;
    const survivor = first.data.executorId === 'exA' ? 'exB' : 'exA';

    const result = await run;
    expect(result.exitCode).toBe(0);
    const summary = lastJsonLine<Summary>(String(result.stdout));
    const events = await readLog(searchId);
    const attempts = ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId);
    expect(attempts).toEqual(['1#1', '1#2']);
    const failed = ofType(events, 'ExperimentFailed');
    expect(failed.find((e) => e.data.experimentId === '1#1')?.data.kind).toBe('lease-expired');
    expect(ofType(events, 'ExperimentStarted').map((e) => [e.data.experimentId, e.data.executorId])).toEqual([
      ['1#1', first.data.executorId],
      ['1#2', survivor],
    ]);
    // The retry's outcome is recorded once (the agent changes nothing, so it is an implementation failure, not a crash).
    const outcomes = [...ofType(events, 'ExperimentSucceeded'), ...failed.filter((e) => e.data.kind !== 'lease-expired')];
    expect(outcomes.map((e) => e.data.experimentId)).toEqual(['1#2']);
    expect(outcomes[0]!.type === 'ExperimentFailed' ? outcomes[0]!.data.executorId : survivor).toBe(survivor);
    expect(summary.experiments).toBe(1);
    expect(countOf(events, 'FinalTestEvaluated')).toBe(1);
  }, 90_000); // separate processes, task and commits as bundles: ~25 s alone, more on a loaded machine

  it('through the JetStream work queue, hands the experiment to the other executor when the one running it is killed: no lease runs out, one attempt', async () => {
    // The previous test killed one executor: start more, until two are alive.
    const alive = () => services.filter((s) => s.name.startsWith('executor') && s.process.exitCode === null && s.process.signalCode === null);
    for (const id of ['exC', 'exD']) if (alive().length < 2) await startService(`executor ${id}`, ['executor', '--nats', nats.url, '--id', id, '--capacity', '1', '--workdir', path.join(workdir, 'executors', id)], 'takes experiments');
    expect(alive()).toHaveLength(2);
    const searchId = 'lost-executor-queued';
    const run = spawnHypotree([
      'run', TASK, '--budget', '1', '--parallel', '1', '--lease-ms', '4000', '--implementer', 'agent', '--agent', 'sleep 4',
      '--nats', nats.url, '--workdir', workdir, '--search-id', searchId, '--json',
    ]);
    const first = await waitFor('the first attempt to start', async () => ofType(await readLog(searchId).catch(() => []), 'ExperimentStarted')[0], 30_000);
    const victim = services.find((s) => s.name === `executor ${first.data.executorId}`)!;
    victim.process.kill('SIGKILL');
    await victim.process;
    const survivor = alive()[0]!.name.replace('executor ', '');

    const result = await run;
    expect(result.exitCode).toBe(0);
    const events = await readLog(searchId);
    // The queue redelivered the dispatch after its ack wait (a quarter of the lease); the survivor's
    // started report (delivery 2) took it over before the lease ran out: one attempt, no lease-expired.
    expect(ofType(events, 'ExperimentDispatched').map((e) => e.data.experimentId)).toEqual(['1#1']);
    expect(ofType(events, 'ExperimentStarted').map((e) => [e.data.experimentId, e.data.executorId])).toEqual([['1#1', first.data.executorId]]);
    // One outcome, reported by the survivor, recorded once.
    const outcomes = [...ofType(events, 'ExperimentSucceeded'), ...ofType(events, 'ExperimentFailed')];
    expect(outcomes.map((e) => [e.data.experimentId, e.data.executorId])).toEqual([['1#1', survivor]]);
    expect(ofType(events, 'ExperimentFailed').filter((e) => e.data.kind === 'lease-expired')).toEqual([]);
    expect(countOf(events, 'FinalTestEvaluated')).toBe(1);
  }, 90_000); // separate processes, task and commits as bundles: ~25 s alone, more on a loaded machine
});
