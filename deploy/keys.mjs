#!/usr/bin/env node
// Makes the credentials of a secured hypotree cluster (README, Distributed mode; deploy/README.md):
//   node deploy/keys.mjs <dir> [--executors NAME,NAME...] [--force]
// writes, in <dir> (created, mode 0700):
//   coordinator.nk, distiller.nk, analytics.nk, <executor NAME>.nk   NATS user nkey seeds (secret, 0600)
//   trust.json        the public keys of each role; every service reads it (HYPOTREE_TRUST_FILE)
//   nats-auth.conf    the nats-server config: these users and each role's subject permissions
// One executor key may serve many replicas (default one key named "executor": its pods report as
// executor.<host>-<pid>). Seeds are never overwritten without --force. Needs a built checkout (npm ci).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createUserKey, natsAuthConfig, parseTrustList } from '@hypotree/messaging';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { executors: { type: 'string', multiple: true }, force: { type: 'boolean' } } });
const dir = positionals[0];
if (!dir) {
  console.error('usage: node deploy/keys.mjs <dir> [--executors NAME,NAME...] [--force]');
  process.exit(2);
}
const executors = values.executors ? values.executors.flatMap((list) => list.split(',')).map((name) => name.trim()) : ['executor'];
if (positionals.length > 1) {
  console.error(`keys: one directory only (got ${positionals.join(', ')}); list executors as --executors a,b`);
  process.exit(2);
}
const bad = executors.filter((name) => !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || ['coordinator', 'distiller', 'analytics', 'trust'].includes(name));
if (bad.length > 0) {
  console.error(`keys: executor names must be letters, digits, - and _, and not a role's name: ${bad.join(', ')}`);
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
const seedFile = (name) => path.join(dir, `${name}.nk`);
const names = ['coordinator', 'distiller', 'analytics', ...executors];
const existing = names.filter((name) => fs.existsSync(seedFile(name)));
if (existing.length > 0 && !values.force) {
  console.error(`keys: ${existing.map(seedFile).join(', ')} exist; pass --force to replace them (every service then needs the new ones)`);
  process.exit(2);
}
const keys = Object.fromEntries(names.map((name) => [name, createUserKey()]));
for (const name of names) fs.writeFileSync(seedFile(name), `${keys[name].seed}\n`, { mode: 0o600 });
const trust = parseTrustList({
  coordinator: [keys.coordinator.publicKey],
  executors: Object.fromEntries(executors.map((name) => [name, keys[name].publicKey])),
  distillers: [keys.distiller.publicKey],
  analytics: [keys.analytics.publicKey],
});
fs.writeFileSync(path.join(dir, 'trust.json'), `${JSON.stringify(trust, null, 2)}\n`);
const users = [
  { role: 'coordinator', name: 'coordinator' },
  { role: 'distiller', name: 'distiller' },
  { role: 'analytics', name: 'analytics' },
  ...executors.map((name) => ({ role: 'executor', name })),
].map((user) => ({ ...user, publicKey: keys[user.name].publicKey }));
fs.writeFileSync(path.join(dir, 'nats-auth.conf'), natsAuthConfig(users), { mode: 0o600 });
console.log(`wrote ${names.length} nkey seeds, trust.json and nats-auth.conf to ${dir}`);
for (const user of users) console.log(`  ${user.name.padEnd(12)} ${user.role.padEnd(12)} ${user.publicKey}`);
