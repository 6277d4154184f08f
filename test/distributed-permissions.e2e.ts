import { connect, createInbox, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { createUserKey, executorInbox, identityFromSeed, Patterns, WORK_QUEUE, workSubject } from '@hypotree/messaging';
import { ROLES, startSecuredNats, type Role, type SecuredNats } from './support/nats-secured.js';

// Subject permissions per role (test/support/nats-secured.conf) on a real nats-server: each role's
// credentials can do its own traffic and nothing else. Every refusal is checked against a control:
// the same message from the role that may send it does arrive.

let nats: SecuredNats;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  nats = await startSecuredNats();
});

// Each test's connections end with it, so its queue subscribers cannot take the next test's messages.
afterEach(async () => {
  for (const nc of connections.splice(0)) await nc.close().catch(() => undefined);
});

afterAll(async () => {
  await nats?.stop();
});

/** A connection as `role`, and the permission errors the server sends it. */
async function as(role: Role): Promise<{ nc: NatsConnection; errors: string[] }> {
  const nc = await connect({ servers: nats.url, authenticator: nkeyAuthenticator(nats.security(role).identity.seed) });
  connections.push(nc);
  const errors: string[] = [];
  void (async () => {
    for await (const status of nc.status()) if (status.type === 'error') errors.push(String(status.error));
  })();
  return { nc, errors };
}

/** What `into` heard on `subject` (optionally in a queue group). */
function hear(nc: NatsConnection, subject: string, queue?: string): string[] {
  const heard: string[] = [];
  nc.subscribe(subject, { queue, callback: (_, msg) => void heard.push(msg.string()) });
  return heard;
}

const settle = async (...ncs: NatsConnection[]) => {
  for (const nc of ncs) await nc.flush();
  await new Promise((r) => setTimeout(r, 150));
};

describe('NATS permissions per role', () => {
  it('refuses connections without credentials and with a key the server does not know', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/Authorization Violation/);
    await expect(connect({ servers: nats.url, reconnect: false, authenticator: nkeyAuthenticator(identityFromSeed(createUserKey().seed).seed) })).rejects.toThrow(/Authorization Violation/);
    // Control: every configured role connects.
    for (const role of ROLES) expect((await as(role)).nc.isClosed()).toBe(false);
  });

  it('an executor cannot dispatch, ask for or answer a distillation, or hear what other executors take; it can report', async () => {
    const coordinator = await as('coordinator');
    const exA = await as('exA');
    const exB = await as('exB');
    const distiller = await as('distiller');
    const dispatchesToB = hear(exB.nc, Patterns.dispatchExperiment, 'hypotree-executors');
    const requests = hear(distiller.nc, Patterns.distill, 'hypotree-distillers');
    const inbox = createInbox();
    const replies = hear(coordinator.nc, inbox);
    const reports = hear(coordinator.nc, Patterns.experimentResult);
    await settle(coordinator.nc, exB.nc, distiller.nc);

    exA.nc.publish(Patterns.dispatchExperiment, 'from exA');
    exA.nc.publish(Patterns.distill, 'from exA');
    exA.nc.publish(inbox, 'a distill reply from exA');
    exA.nc.subscribe(Patterns.dispatchExperiment); // outside the queue group: would see every dispatch and nonce
    exA.nc.subscribe(Patterns.experimentResult);
    exA.nc.publish(Patterns.experimentResult, 'a report from exA');
    await settle(exA.nc);

    expect(exA.errors.sort()).toEqual([
      `PermissionViolationError: Permissions Violation for Publish to "${inbox}"`,
      `PermissionViolationError: Permissions Violation for Publish to "${Patterns.dispatchExperiment}"`,
      `PermissionViolationError: Permissions Violation for Publish to "${Patterns.distill}"`,
      `PermissionViolationError: Permissions Violation for Subscription to "${Patterns.dispatchExperiment}"`,
      `PermissionViolationError: Permissions Violation for Subscription to "${Patterns.experimentResult}"`,
    ]);
    expect(dispatchesToB).toEqual([]);
    expect(requests).toEqual([]);
    expect(replies).toEqual([]);
    expect(reports).toEqual(['a report from exA']);

    // Control: the coordinator's dispatch reaches an executor, and its distill request a distiller.
    coordinator.nc.publish(Patterns.dispatchExperiment, 'from the coordinator');
    coordinator.nc.publish(Patterns.distill, 'from the coordinator');
    await settle(coordinator.nc);
    expect(dispatchesToB).toEqual(['from the coordinator']);
    expect(requests).toEqual(['from the coordinator']);
    expect(coordinator.errors).toEqual([]);
  });

  it("an executor cannot put work in the queue, hear the queue's subjects or another executor's inbox, or manage the streams; it can pull into its own inbox", async () => {
    const coordinator = await as('coordinator');
    const exA = await as('exA');
    // The intruder (test only) hears everything: it shows what reached the queue's subjects.
    const intruder = await as('intruder');
    const queued = hear(intruder.nc, `${WORK_QUEUE.subject}.>`);
    await settle(intruder.nc);

    exA.nc.publish(workSubject('s', '1'), 'from exA');
    exA.nc.subscribe(`${WORK_QUEUE.subject}.>`); // would see every dispatch and nonce as it is queued
    exA.nc.subscribe(`${executorInbox('exB')}.>`); // would see what exB pulls
    exA.nc.subscribe('_INBOX.>'); // would see the coordinator's replies
    exA.nc.publish(`$JS.API.STREAM.PURGE.${WORK_QUEUE.stream}`, '{}');
    exA.nc.publish(`$JS.API.STREAM.DELETE.${WORK_QUEUE.stream}`, '{}');
    exA.nc.publish(`$JS.API.CONSUMER.DELETE.${WORK_QUEUE.stream}.${WORK_QUEUE.consumer}`, '{}');
    await settle(exA.nc);
    expect(exA.errors.sort()).toEqual([
      `PermissionViolationError: Permissions Violation for Publish to "$JS.API.CONSUMER.DELETE.${WORK_QUEUE.stream}.${WORK_QUEUE.consumer}"`,
      `PermissionViolationError: Permissions Violation for Publish to "$JS.API.STREAM.DELETE.${WORK_QUEUE.stream}"`,
      `PermissionViolationError: Permissions Violation for Publish to "$JS.API.STREAM.PURGE.${WORK_QUEUE.stream}"`,
      `PermissionViolationError: Permissions Violation for Publish to "${workSubject('s', '1')}"`,
      `PermissionViolationError: Permissions Violation for Subscription to "${WORK_QUEUE.subject}.>"`,
      `PermissionViolationError: Permissions Violation for Subscription to "${executorInbox('exB')}.>"`,
      'PermissionViolationError: Permissions Violation for Subscription to "_INBOX.>"',
    ].sort());
    expect(queued).toEqual([]);

    // Control: the coordinator may queue work; an executor's requests (its pulls) are answered in its own inbox.
    coordinator.nc.publish(workSubject('s', '1'), 'from the coordinator');
    await settle(coordinator.nc);
    expect(queued).toEqual(['from the coordinator']);
    expect(coordinator.errors).toEqual([]);
    const ownInbox = await connect({ servers: nats.url, authenticator: nkeyAuthenticator(nats.security('exB').identity.seed), inboxPrefix: executorInbox('exB') });
    connections.push(ownInbox);
    const info = JSON.parse((await ownInbox.request('$JS.API.INFO', '', { timeout: 2_000 })).string()) as { type?: string };
    expect(info.type).toBe('io.nats.jetstream.api.v1.account_info_response');
  });

  it('a distiller may only answer the requests it receives; the coordinator cannot forge reports; analytics publishes nothing', async () => {
    const coordinator = await as('coordinator');
    const distiller = await as('distiller');
    const analytics = await as('analytics');
    const exA = await as('exA');
    distiller.nc.subscribe(Patterns.distill, { queue: 'hypotree-distillers', callback: (_, msg) => void msg.respond('an answer') });
    const dispatches = hear(exA.nc, Patterns.dispatchExperiment, 'hypotree-executors');
    const inbox = createInbox();
    const stray = hear(coordinator.nc, inbox);
    const started = hear(analytics.nc, Patterns.experimentStarted);
    const results = hear(coordinator.nc, Patterns.experimentResult);
    await settle(distiller.nc, exA.nc, coordinator.nc, analytics.nc);

    // Control: a request gets its answer (allow_responses).
    const answer = await coordinator.nc.request(Patterns.distill, 'please', { timeout: 2_000 });
    expect(answer.string()).toBe('an answer');

    distiller.nc.publish(Patterns.experimentResult, 'from the distiller');
    distiller.nc.publish(Patterns.dispatchExperiment, 'from the distiller');
    distiller.nc.publish(inbox, 'unasked');
    coordinator.nc.publish(Patterns.experimentResult, 'from the coordinator');
    analytics.nc.publish(Patterns.experimentStarted, 'from analytics');
    exA.nc.publish(Patterns.experimentStarted, 'from exA');
    await settle(distiller.nc, coordinator.nc, analytics.nc, exA.nc);

    expect(distiller.errors.sort()).toEqual([
      `PermissionViolationError: Permissions Violation for Publish to "${inbox}"`,
      `PermissionViolationError: Permissions Violation for Publish to "${Patterns.dispatchExperiment}"`,
      `PermissionViolationError: Permissions Violation for Publish to "${Patterns.experimentResult}"`,
    ]);
    expect(coordinator.errors).toEqual([`PermissionViolationError: Permissions Violation for Publish to "${Patterns.experimentResult}"`]);
    expect(analytics.errors).toEqual([`PermissionViolationError: Permissions Violation for Publish to "${Patterns.experimentStarted}"`]);
    expect(dispatches).toEqual([]);
    expect(stray).toEqual([]);
    expect(results).toEqual([]);
    // Analytics hears started reports (read-only), only the executor's.
    expect(started).toEqual(['from exA']);
  });
});
