import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { createUserKey, identityFromSeed, parseTrustList, type BusSecurity, type TrustList } from '@hypotree/messaging';
import { freePort, reachable } from './nats-server.js';

/** The identities of the test cluster: one per role, two executors, and an intruder (an account that got past the broker). */
export const ROLES = ['coordinator', 'exA', 'exB', 'distiller', 'analytics', 'intruder'] as const;
export type Role = (typeof ROLES)[number];

const CONFIG_VARIABLE: Record<Role, string> = {
  coordinator: 'HT_COORDINATOR',
  exA: 'HT_EXECUTOR_A',
  exB: 'HT_EXECUTOR_B',
  distiller: 'HT_DISTILLER',
  analytics: 'HT_ANALYTICS',
  intruder: 'HT_INTRUDER',
};

/** A nats-server with test/support/nats-secured.conf on its own loopback port, fresh keys, and what each role needs to use them. */
export interface SecuredNats {
  url: string;
  dir: string;
  trust: TrustList;
  /** The path of the trust list file (HYPOTREE_TRUST_FILE). */
  trustFile: string;
  /** The path of a role's nkey seed file (HYPOTREE_NKEY_FILE). */
  seedFile(role: Role): string;
  /** A role's identity and the trust list, as a service holds them. */
  security(role: Role): BusSecurity;
  /** The environment a service process of that role is started with. */
  env(role: Role): Record<string, string>;
  /** Kills the server with SIGKILL (a broker crash); its JetStream store stays. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill). */
  restart(): Promise<void>;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
}

/** Makes keys for every role, writes them and the trust list (intruder and analytics are NATS users, not trusted signers of results), and starts the server. */
export async function startSecuredNats(): Promise<SecuredNats> {
  const found = await execa('sh', ['-c', 'command -v nats-server'], { reject: false });
  if (found.exitCode !== 0) throw new Error('the secured NATS tests need nats-server: apt-get install -y nats-server (.ci/run installs it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-nats-secured-'));
  const keys = Object.fromEntries(ROLES.map((role) => [role, createUserKey()])) as Record<Role, { seed: string; publicKey: string }>;
  for (const role of ROLES) fs.writeFileSync(path.join(dir, `${role}.nk`), `${keys[role].seed}\n`, { mode: 0o600 });
  const trust = parseTrustList({
    coordinator: [keys.coordinator.publicKey],
    executors: { exA: keys.exA.publicKey, exB: keys.exB.publicKey },
    distillers: [keys.distiller.publicKey],
    analytics: [keys.analytics.publicKey],
  });
  const trustFile = path.join(dir, 'trust.json');
  fs.writeFileSync(trustFile, JSON.stringify(trust, null, 2));
  const port = await freePort();
  const config = path.resolve('test/support/nats-secured.conf');
  const env = Object.fromEntries(ROLES.map((role) => [CONFIG_VARIABLE[role], keys[role].publicKey]));
  let server: ResultPromise | undefined;

  const start = async () => {
    server = execa('nats-server', ['-c', config, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', path.join(dir, 'js')], { reject: false, all: true, env });
    for (let i = 0; i < 200 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 25));
    if (!(await reachable(port))) {
      server.kill('SIGKILL');
      throw new Error(`nats-server with ${config} did not start on port ${port}: ${(await server).all}`);
    }
    // Accepting TCP is not yet serving (a restart recovers its JetStream store first): wait for a real client connection.
    const seed = identityFromSeed(keys.analytics.seed).seed;
    for (let i = 0; ; i++) {
      try {
        await (await connect({ servers: `nats://127.0.0.1:${port}`, authenticator: nkeyAuthenticator(seed), timeout: 1_000, reconnect: false })).close();
        break;
      } catch (error) {
        if (i >= 20) throw new Error(`nats-server on port ${port} accepts connections but does not serve them: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await start();
  const seedFile = (role: Role) => path.join(dir, `${role}.nk`);
  return {
    url: `nats://127.0.0.1:${port}`,
    dir,
    trust,
    trustFile,
    seedFile,
    security: (role) => ({ identity: identityFromSeed(keys[role].seed, role), trust }),
    env: (role) => ({ HYPOTREE_NKEY_FILE: seedFile(role), HYPOTREE_TRUST_FILE: trustFile }),
    async kill() {
      server?.kill('SIGKILL');
      await server;
      server = undefined;
    },
    restart: start,
    async stop() {
      if (server) {
        server.kill('SIGTERM');
        await server;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
