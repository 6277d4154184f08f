import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { connect, nkeyAuthenticator, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { runDistributed, type SearchSummary } from '@hypotree/coordinator';
import type { RecordedSearchEvent } from '@hypotree/events';
import { Patterns, replySubject, seal, type Envelope, type ServiceIdentity } from '@hypotree/messaging';
import { startSecuredNats, type SecuredNats } from './support/nats-secured.js';
import { startTestNats } from './support/nats-server.js';
import { CapturingLogger, makeWorkdir, startServices } from './support/nats-services.js';
import { readSearchLog } from './support/search-log.js';
import { createTaskFixture, type TaskFixture } from './support/task-fixture.js';
import { waitFor } from './support/wait.js';

// The forgery battery (issue #12), on a real nats-server with per-role nkeys and subject
// permissions (test/support/nats-secured.conf). The attacker is an "intruder" account that got past
// the broker: it may publish and hear every subject, so what stops it here is the signatures and
// the coordinator's binding of reports to its dispatches, not the broker. It also holds the key of
// executor exB (a trusted executor that did not take the experiment it lies about).

let nats: SecuredNats;
const opened: { close(): Promise<unknown> }[] = [];

// A toy task (a scorer and a candidate of a few lines) keeps each search to a few seconds.
let toy: TaskFixture;

beforeAll(async () => {
  nats = await startSecuredNats();
  toy = createTaskFixture({ parameters: { file: 'config.json', space: [{ name: 'x', type: 'float', min: 0, max: 10, default: 5 }] } });
});

afterAll(async () => {
  for (const thing of opened.reverse()) await thing.close().catch(() => undefined);
  await nats?.stop();
  toy?.cleanup();
});

interface WireMessage {
  subject: string;
  raw: Uint8Array;
  packet: { pattern?: string; id?: string; data: Envelope };
  body: Record<string, unknown>;
}

/** A signed message as heard on the wire; undefined for anything else (the intruder's own unsigned and non-JSON messages). */
function wire(msg: Msg): WireMessage | undefined {
  // A callback that throws would close the intruder's connection (nats.js ends its reader).
  try {
    const packet = JSON.parse(msg.string()) as WireMessage['packet'];
    return { subject: msg.subject, raw: msg.data, packet, body: JSON.parse(packet.data.body) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** Keeps every signed message heard on `subject`. */
function listen(nc: NatsConnection, subject: string, into: WireMessage[]): void {
  nc.subscribe(subject, {
    callback: (_, msg) => {
      const heard = wire(msg);
      if (heard) into.push(heard);
    },
  });
}

/** Publishes `message` on `subject` as Nest does, signed by `signer` (or unsigned). */
function publish(nc: NatsConnection, subject: string, message: unknown, signer?: ServiceIdentity): void {
  nc.publish(subject, JSON.stringify({ pattern: subject, data: signer ? seal(signer, subject, message) : message }));
}

const ofType = <T extends RecordedSearchEvent['type']>(events: RecordedSearchEvent[], type: T) =>
  events.filter((e): e is Extract<RecordedSearchEvent, { type: T }> => e.type === type);

function forgedEvidence(claim: { searchId: string; experimentId: string; nodeId: string }, status: 'succeeded' | 'failed') {
  return {
    ...claim,
    baseCommit: 'FORGED',
    status,
    ...(status === 'failed' ? { failure: { kind: 'crash', detail: 'FORGED failure' } } : { devScore: 0.99, commit: 'FORGED', ref: 'refs/FORGED' }),
    refusals: [],
    runs: status === 'failed' ? [] : [{ seed: 0, value: 0.99 }],
    implementation: { implementer: 'params', summary: 'FORGED', attempts: 1 },
    report: 'FORGED',
    durationMs: 1,
    stdoutTail: '',
    stderrTail: '',
    integrity: { sandbox: 'none', specHash: 'FORGED', evaluatorHash: 'FORGED', changedPaths: [] },
  };
}

describe('a secured cluster under forgery (nkeys, signed messages, reports bound to dispatches)', () => {
  it('records none of: forged results, failures, started reports, insights, dispatches, a replayed result or dispatch, a result for an unknown experiment, an oversized or non-JSON message', async () => {
    const workdir = makeWorkdir('hypotree-forgery-');
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const intruderKey = nats.security('intruder').identity;
    const exB = nats.security('exB').identity;
    const intruder = await connect({ servers: nats.url, authenticator: nkeyAuthenticator(nats.security('intruder').identity.seed) });
    opened.push(intruder);

    const dispatches: WireMessage[] = [];
    const started: WireMessage[] = [];
    const results: WireMessage[] = [];
    const forgedReplies: string[] = [];
    listen(intruder, Patterns.dispatchExperiment, dispatches);
    listen(intruder, Patterns.experimentStarted, started);
    listen(intruder, Patterns.experimentResult, results);
    // A forged insight: answer every distill request first, echoing its nonce, once signed by the
    // intruder's key and once unsigned. Neither may be taken; the genuine distiller's reply must.
    intruder.subscribe(Patterns.distill, {
      callback: (_, msg) => {
        const request = wire(msg);
        if (!request) return;
        const draft = { insightId: 'FORGED', nodeId: request.body.nodeId, scope: 'global', kind: 'finding', text: 'FORGED insight: always set lr to 99', evidence: [], supersedes: [] };
        const response = { drafts: [draft], nonce: request.body.nonce };
        msg.respond(JSON.stringify({ id: request.packet.id, sealed: seal(intruderKey, replySubject(Patterns.distill), { response, isDisposed: true }) }));
        msg.respond(JSON.stringify({ id: request.packet.id, response, isDisposed: true }));
        forgedReplies.push(String(request.body.nonce));
      },
    });

    const services = await startServices(nats.url, workdir, logger, [{ id: 'exA', security: nats.security('exA') }], { security: nats.security('distiller') });
    opened.push({ close: () => services.stop() });
    const searchId = 'forged-at';
    const run: Promise<SearchSummary> = runDistributed({
      nats: nats.url,
      security: nats.security('coordinator'),
      logger,
      // Dispatches on core NATS, where the intruder hears them; the work queue's own forgeries are in distributed-jetstream.e2e.ts.
      dispatch: 'core',
      config: { task: toy.task.specPath, workdir, searchId, budget: { experiments: 4, parallel: 1 } },
    });
    run.catch(() => undefined);

    // The first experiment, once its executor has taken it: the intruder has heard its dispatch and nonce.
    const first = await waitFor('the first dispatch and its started report', () => (started.length > 0 && dispatches.length > 0 ? dispatches[0] : undefined));
    const claim = { searchId, experimentId: String(first.body.experimentId), nodeId: String(first.body.nodeId) };
    const nonce = String(first.body.nonce);
    expect(started[0]!.body).toMatchObject({ ...claim, executorId: 'exA', nonce });

    const result = Patterns.experimentResult;
    publish(intruder, result, { ...claim, executorId: 'exA', nonce, evidence: forgedEvidence(claim, 'succeeded') }, intruderKey);
    publish(intruder, result, { ...claim, executorId: 'exB', nonce, evidence: forgedEvidence(claim, 'failed') }, exB);
    publish(intruder, result, { ...claim, executorId: 'exA', nonce, evidence: forgedEvidence(claim, 'succeeded') }, exB);
    publish(intruder, result, { ...claim, executorId: 'exA', nonce, evidence: forgedEvidence(claim, 'succeeded') });
    publish(intruder, Patterns.experimentStarted, { ...claim, executorId: 'exA', nonce }, intruderKey);
    publish(intruder, Patterns.experimentHeartbeat, { ...claim, executorId: 'exB', nonce }, exB);
    const ghost = { searchId, experimentId: '7#1', nodeId: '7' };
    publish(intruder, result, { ...ghost, executorId: 'exB', nonce: randomUUID(), evidence: forgedEvidence(ghost, 'succeeded') }, exB);
    intruder.publish(result, JSON.stringify({ pattern: result, data: { pad: 'x'.repeat(300_000) } }));
    intruder.publish(result, 'FORGED \u0000 not json');
    // Forged dispatches: signed by the intruder, unsigned, and the genuine one with its body altered.
    const evil = { ...first.body, experimentId: 'evil#1', nonce: randomUUID() };
    publish(intruder, Patterns.dispatchExperiment, evil, intruderKey);
    publish(intruder, Patterns.dispatchExperiment, { ...evil, experimentId: 'evil#2' });
    const altered = { ...first.packet.data, body: JSON.stringify({ ...first.body, experimentId: 'evil#3' }) };
    intruder.publish(Patterns.dispatchExperiment, JSON.stringify({ pattern: Patterns.dispatchExperiment, data: altered }));
    // A replayed dispatch: the genuine one, sent again byte for byte.
    intruder.publish(Patterns.dispatchExperiment, JSON.stringify(first.packet));
    await intruder.flush();

    // A replayed result: the first genuine one, sent again once the search has moved on past it.
    const genuine = await waitFor('the first genuine result', () => results.find((r) => r.body.experimentId === claim.experimentId && r.packet.data.signer === nats.trust.executors.exA));
    await waitFor('a dispatch after the first result', () => (dispatches.length > 1 ? true : undefined));
    intruder.publish(result, genuine.raw);
    await intruder.flush();

    const summary = await Promise.race([run, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the search did not finish within 30 s; warnings: ${logger.warnings.join(' | ')}`)), 30_000))]);
    const events = await readSearchLog(workdir, searchId);

    // The search ran as if nothing had happened: four experiments, each started by exA and decided once.
    expect(summary.experiments).toBe(4);
    const starts = ofType(events, 'ExperimentStarted');
    expect(starts.map((e) => e.data.executorId)).toEqual(['exA', 'exA', 'exA', 'exA']);
    const outcomes = [...ofType(events, 'ExperimentSucceeded'), ...ofType(events, 'ExperimentFailed')].map((e) => e.data.experimentId).sort();
    expect(outcomes).toEqual(starts.map((e) => e.data.experimentId).sort());
    expect(new Set(outcomes).size).toBe(4);
    // The forged score as a JSON number (a bare /0\.99/ also matched a timestamp such as 09:45:10.990Z).
    expect(JSON.stringify(events)).not.toMatch(/FORGED|evil#|"7#1"|:0\.99[,}]/);
    // Nothing forged was executed: no executor reported starting a forged dispatch.
    expect(started.map((s) => s.body.experimentId).filter((id) => String(id).startsWith('evil'))).toEqual([]);
    expect(started.filter((s) => s.body.experimentId === claim.experimentId && s.packet.data.signer === nats.trust.executors.exA)).toHaveLength(1);
    expect(forgedReplies.length).toBeGreaterThan(0);

    // Each forgery was refused with its reason.
    const refused = (pattern: RegExp) => logger.matching(pattern).length;
    expect(refused(/rejected hypotree\.experiment\.result: signed by U\w+…, which is not a trusted executor key/)).toBe(1);
    expect(refused(new RegExp(`rejected hypotree\\.experiment\\.result: ${claim.experimentId} was taken by executor exA, not exB`))).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.result: signed by executor exB but claims to come from exA/)).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.result: not a signed message/)).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.started: signed by U\w+…, which is not a trusted executor key/)).toBe(1);
    expect(refused(new RegExp(`rejected hypotree\\.experiment\\.heartbeat: ${claim.experimentId} was taken by executor exA, not exB`))).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.result: 7#1: no dispatch with this nonce/)).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.result: oversized: \d{6} bytes \(the limit is 262144\)/)).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.result: not JSON: FORGED/)).toBe(1);
    expect(refused(new RegExp(`rejected hypotree\\.experiment\\.result: replay: a result for ${claim.experimentId} was already accepted`))).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.dispatch: signed by U\w+…, which is not a trusted coordinator key/)).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.dispatch: not a signed message/)).toBe(1);
    expect(refused(/rejected hypotree\.experiment\.dispatch: the signature of coordinator coordinator-1 does not verify/)).toBe(1);
    expect(refused(new RegExp(`rejected hypotree\\.experiment\\.dispatch: replay: dispatch ${claim.experimentId} was already taken here`))).toBe(1);
    // Forged replies that arrive after the genuine one find the request's inbox closed: never read.
    const signedByIntruder = refused(/refused a reply to hypotree\.insight\.distill: signed by U\w+…, which is not a trusted distiller key/);
    const unsigned = refused(/refused a reply to hypotree\.insight\.distill: not a signed message/);
    expect([signedByIntruder > 0, signedByIntruder <= forgedReplies.length, unsigned > 0, unsigned <= forgedReplies.length]).toEqual([true, true, true, true]);
    // The genuine distiller still answered every request (a forged reply is ignored, not an error).
    expect(logger.matching(/distill.*failed/)).toEqual([]);
  }, 60_000);

  it('with the protection off (an open bus, no keys), the same forged result is recorded and a forged dispatch runs', async () => {
    const open = await startTestNats();
    opened.push({ close: () => open.stop() });
    const workdir = makeWorkdir('hypotree-forgery-open-');
    const logger = new CapturingLogger();
    Logger.overrideLogger(logger);
    const intruder = await connect({ servers: open.url });
    opened.push(intruder);
    const started: Record<string, unknown>[] = [];
    const dispatches: Record<string, unknown>[] = [];
    const hear = (into: Record<string, unknown>[]) => (_: unknown, msg: Msg) => {
      try {
        into.push((JSON.parse(msg.string()) as { data: Record<string, unknown> }).data);
      } catch {
        // not ours to read
      }
    };
    intruder.subscribe(Patterns.experimentStarted, { callback: hear(started) });
    intruder.subscribe(Patterns.dispatchExperiment, { callback: hear(dispatches) });
    const services = await startServices(open.url, workdir, logger, [{ id: 'exA' }], {});
    opened.push({ close: () => services.stop() });
    const searchId = 'forged-open';
    // Commits on the coordinator's paths (a forged result's commit then needs no bundle to be believed).
    const run = runDistributed({ nats: open.url, security: false, dispatch: 'core', transfer: 'shared', logger, config: { task: toy.task.specPath, workdir, searchId, budget: { experiments: 1, parallel: 1 } } });
    run.catch(() => undefined);
    const first = await waitFor('the first started report', () => started[0]);
    const claim = { searchId, experimentId: String(first.experimentId), nodeId: String(first.nodeId) };
    publish(intruder, Patterns.experimentResult, { ...claim, executorId: 'evil', evidence: forgedEvidence(claim, 'succeeded') });
    await intruder.flush();
    await run;
    const events = await readSearchLog(workdir, searchId);
    expect(ofType(events, 'ExperimentSucceeded').map((e) => [e.data.experimentId, e.data.executorId, e.data.commit])).toEqual([[claim.experimentId, 'evil', 'FORGED']]);
    expect(logger.matching(/without credentials: messages are neither authenticated nor signed/)).toHaveLength(1);

    // A forged dispatch (the genuine one, renamed) is taken and run by the open executor.
    publish(intruder, Patterns.dispatchExperiment, { ...dispatches[0], experimentId: 'evil#1' });
    await intruder.flush();
    const ran = await waitFor('the open executor to start the forged dispatch', () => started.find((s) => s.experimentId === 'evil#1'));
    expect(ran).toMatchObject({ experimentId: 'evil#1', executorId: 'exA' });
  }, 60_000);
});
