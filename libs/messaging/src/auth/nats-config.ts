import { DISTILLER_QUEUE, EXECUTOR_QUEUE, Patterns } from '../contracts.js';
import { ARTIFACTS_BUCKET } from '../jetstream/artifacts.js';
import { MAX_DELIVERIES_ADVISORY, WORK_QUEUE } from '../jetstream/work-queue.js';
import { executorInbox } from '../nats/servers.js';

// What each role may do on NATS, as nats-server permissions. deploy/keys.mjs writes a server config
// from this; test/support/nats-secured.conf has the same blocks (a spec checks they agree).

/** A role with its own NATS credentials. */
export type BusRole = 'coordinator' | 'executor' | 'distiller' | 'analytics';

const REPORTS = [Patterns.experimentStarted, Patterns.experimentHeartbeat, Patterns.experimentResult];

// The JetStream API calls of each side of the work queue (libs/messaging/src/jetstream), and nothing else.
const { stream, deadStream, consumer } = WORK_QUEUE;
// The artifact object store (task and commit bundles): reading and writing objects, for both sides.
const OBJECTS = `OBJ_${ARTIFACTS_BUCKET}`;
const ARTIFACT_OBJECTS = [
  `$O.${ARTIFACTS_BUCKET}.>`,
  `$JS.API.STREAM.INFO.${OBJECTS}`,
  `$JS.API.STREAM.MSG.GET.${OBJECTS}`,
  `$JS.API.DIRECT.GET.${OBJECTS}`,
  `$JS.API.DIRECT.GET.${OBJECTS}.>`,
  `$JS.API.STREAM.PURGE.${OBJECTS}`,
  `$JS.API.CONSUMER.CREATE.${OBJECTS}`,
  `$JS.API.CONSUMER.CREATE.${OBJECTS}.>`,
  `$JS.API.CONSUMER.INFO.${OBJECTS}.>`,
  `$JS.API.CONSUMER.DELETE.${OBJECTS}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${OBJECTS}.>`,
];
const COORDINATOR_JETSTREAM = [
  '$JS.API.INFO',
  `${WORK_QUEUE.subject}.>`,
  `${WORK_QUEUE.deadSubject}.>`,
  ...[stream, deadStream].flatMap((name) => [`$JS.API.STREAM.INFO.${name}`, `$JS.API.STREAM.CREATE.${name}`]),
  `$JS.API.STREAM.UPDATE.${stream}`,
  `$JS.API.STREAM.MSG.GET.${stream}`,
  `$JS.API.STREAM.MSG.DELETE.${stream}`,
  `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
  `$JS.API.CONSUMER.CREATE.${stream}.${consumer}`,
  `$JS.API.CONSUMER.CREATE.${stream}.${consumer}.>`,
  `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${consumer}`,
  `$JS.API.STREAM.CREATE.${OBJECTS}`,
  ...ARTIFACT_OBJECTS,
];
const EXECUTOR_JETSTREAM = ['$JS.API.INFO', `$JS.API.CONSUMER.INFO.${stream}.${consumer}`, `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, `$JS.ACK.${stream}.${consumer}.>`, ...ARTIFACT_OBJECTS];

/** The nats-server permissions of one service. */
export interface Permissions {
  publish: string[] | { deny: string[] };
  subscribe: string[];
  allow_responses?: boolean;
}

/** The nats-server permissions of each role: its own traffic and nothing else. */
export const ROLE_PERMISSIONS: Record<BusRole, Permissions> = {
  // Dispatches (core NATS, or into the work queue, which it sets up) and distill requests out;
  // reports, dead-letter advisories and its own replies (_INBOX) in.
  coordinator: {
    publish: [Patterns.dispatchExperiment, Patterns.distill, ...COORDINATOR_JETSTREAM],
    subscribe: [...REPORTS, MAX_DELIVERIES_ADVISORY, '_INBOX.>'],
  },
  // Dispatches only in the executors' queue group (it never sees another executor's) or pulled
  // from the work queue into its own inbox (executorPermissions), its reports out.
  executor: { publish: [...REPORTS, ...EXECUTOR_JETSTREAM], subscribe: [`${Patterns.dispatchExperiment} ${EXECUTOR_QUEUE}`] },
  // Distill requests in (its queue group); it may answer what it received, and publish nothing else.
  distiller: { publish: { deny: ['>'] }, subscribe: [`${Patterns.distill} ${DISTILLER_QUEUE}`], allow_responses: true },
  // It reads the event store; on NATS it may only listen to started reports and heartbeats.
  analytics: { publish: { deny: ['>'] }, subscribe: [Patterns.experimentStarted, Patterns.experimentHeartbeat] },
};

/**
 * An executor key's permissions: the role's, and its own reply subjects (where the work queue
 * delivers what it pulls), which no other executor key may hear.
 */
export function executorPermissions(name: string): Permissions {
  const role = ROLE_PERMISSIONS.executor;
  return { ...role, subscribe: [...role.subscribe, `${executorInbox(name)}.>`] };
}

const list = (items: string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;

/** Permissions as a nats-server config variable block (`EXECUTOR = { … }`); by default the role's own, named after it. */
export function permissionsBlock(role: BusRole, variable = role.toUpperCase(), p: Permissions = ROLE_PERMISSIONS[role]): string {
  const publish = Array.isArray(p.publish) ? list(p.publish) : `{ deny: ${list(p.publish.deny)} }`;
  const lines = [`  publish: ${publish}`, `  subscribe: ${list(p.subscribe)}`, ...(p.allow_responses ? ['  allow_responses: true'] : [])];
  return `${variable} = {\n${lines.join('\n')}\n}`;
}

/**
 * A nats-server config: the permissions of the roles present, then one nkey user per key (no other
 * user can connect). Each executor key gets its own block (its own reply subjects: `executorPermissions`).
 */
export function natsAuthConfig(users: { role: BusRole; publicKey: string; name: string }[]): string {
  // nats-server refuses a variable no user refers to: write the blocks of the roles present.
  const roles = (['coordinator', 'distiller', 'analytics'] as BusRole[]).filter((role) => users.some((user) => user.role === role));
  const executors = users.filter((user) => user.role === 'executor');
  const variable = (user: { role: BusRole; name: string }) => (user.role === 'executor' ? `EXECUTOR_${executors.indexOf(user as (typeof executors)[number]) + 1}` : user.role.toUpperCase());
  return [
    '# Written by deploy/keys.mjs: one nkey user per hypotree service, each limited to its own subjects.',
    'max_payload: 1MB',
    '',
    ...roles.map((role) => permissionsBlock(role)),
    ...executors.map((user) => `# executor ${user.name}\n${permissionsBlock('executor', variable(user), executorPermissions(user.name))}`),
    '',
    'authorization {',
    '  users = [',
    ...users.map((user) => `    { nkey: ${user.publicKey}, permissions: $${variable(user)} }  # ${user.name}`),
    '  ]',
    '}',
    '',
  ].join('\n');
}
