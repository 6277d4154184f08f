import { DISTILLER_QUEUE, EXECUTOR_QUEUE, Patterns } from '../contracts.js';

// What each role may do on NATS, as nats-server permissions. deploy/keys.mjs writes a server config
// from this; test/support/nats-secured.conf has the same blocks (a spec checks they agree).

/** A role with its own NATS credentials. */
export type BusRole = 'coordinator' | 'executor' | 'distiller' | 'analytics';

const REPORTS = [Patterns.experimentStarted, Patterns.experimentHeartbeat, Patterns.experimentResult];

/** The nats-server permissions of each role: its own traffic and nothing else. */
export const ROLE_PERMISSIONS: Record<BusRole, { publish: string[] | { deny: string[] }; subscribe: string[]; allow_responses?: boolean }> = {
  // Dispatches and distill requests out; reports and its own replies (_INBOX) in.
  coordinator: { publish: [Patterns.dispatchExperiment, Patterns.distill], subscribe: [...REPORTS, '_INBOX.>'] },
  // Dispatches only in the executors' queue group (it never sees another executor's), its reports out.
  executor: { publish: REPORTS, subscribe: [`${Patterns.dispatchExperiment} ${EXECUTOR_QUEUE}`] },
  // Distill requests in (its queue group); it may answer what it received, and publish nothing else.
  distiller: { publish: { deny: ['>'] }, subscribe: [`${Patterns.distill} ${DISTILLER_QUEUE}`], allow_responses: true },
  // It reads the event store; on NATS it may only listen to started reports and heartbeats.
  analytics: { publish: { deny: ['>'] }, subscribe: [Patterns.experimentStarted, Patterns.experimentHeartbeat] },
};

const list = (items: string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;

/** One role's permissions as a nats-server config variable block (`EXECUTOR = { … }`). */
export function permissionsBlock(role: BusRole): string {
  const p = ROLE_PERMISSIONS[role];
  const publish = Array.isArray(p.publish) ? list(p.publish) : `{ deny: ${list(p.publish.deny)} }`;
  const lines = [`  publish: ${publish}`, `  subscribe: ${list(p.subscribe)}`, ...(p.allow_responses ? ['  allow_responses: true'] : [])];
  return `${role.toUpperCase()} = {\n${lines.join('\n')}\n}`;
}

/** A nats-server config: the permissions of the roles present, then one nkey user per key (no other user can connect). */
export function natsAuthConfig(users: { role: BusRole; publicKey: string; name: string }[]): string {
  // nats-server refuses a variable no user refers to: write the blocks of the roles present.
  const roles = (['coordinator', 'executor', 'distiller', 'analytics'] as BusRole[]).filter((role) => users.some((user) => user.role === role));
  return [
    '# Written by deploy/keys.mjs: one nkey user per hypotree service, each limited to its own subjects.',
    'max_payload: 1MB',
    '',
    ...roles.map(permissionsBlock),
    '',
    'authorization {',
    '  users = [',
    ...users.map((user) => `    { nkey: ${user.publicKey}, permissions: $${user.role.toUpperCase()} }  # ${user.name}`),
    '  ]',
    '}',
    '',
  ].join('\n');
}
