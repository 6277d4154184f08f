import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { installedPackageDir } from '../installed.js';
import type { Bind } from './view.js';

/** Inside the sandbox: where the endpoint socket and the relay program appear. */
const INSIDE_RELAY = { socket: '/run/hypotree/endpoint.sock', program: '/run/hypotree-relay/inside-relay.cjs' } as const;

/**
 * The one network path an agent may get: its model endpoint, and nothing else. On the host a
 * UNIX socket forwards each connection to the endpoint's host and port (only there); inside the
 * sandbox a small relay listens on loopback at the endpoint's port (a high port for one below
 * 1024) and forwards to that socket, and the endpoint's host name resolves to 127.0.0.1. TLS still
 * works end to end: the agent speaks to the real host name, the relays only carry bytes.
 */
export interface EndpointRelay {
  /** The URL the agent uses inside the sandbox. */
  insideUrl: string;
  binds: Bind[];
  /** Wraps the agent's command line in the inside relay. */
  wrap(command: string, args: readonly string[]): [string, string[]];
  close(): Promise<void>;
}

function defaultPort(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** The folder of the built relay program (`dist/sandbox/inside-relay.cjs` of this package). */
function relayProgramDir(): string {
  const built = path.join(installedPackageDir('@hypotree/workspace'), 'dist', 'sandbox');
  if (!existsSync(path.join(built, 'inside-relay.cjs'))) throw new Error(`${built}/inside-relay.cjs is missing: build the project (npm run build)`);
  return built;
}

/** Opens the host side of an endpoint relay; `close` stops it and removes its files. */
export async function openEndpointRelay(endpoint: string): Promise<EndpointRelay> {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`agent endpoint ${endpoint}: only http and https endpoints can be relayed`);
  const port = defaultPort(url);
  const insidePort = port >= 1024 ? port : 10_000 + port;
  // A short folder: UNIX socket paths are limited to about 100 bytes.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hx-relay-'));
  const socketDir = path.join(dir, 'run');
  const etc = path.join(dir, 'etc');
  await mkdir(socketDir);
  await mkdir(etc);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  await writeFile(path.join(etc, 'hosts'), `127.0.0.1 localhost\n${net.isIP(host) === 0 ? `127.0.0.1 ${host}\n` : ''}`);
  await writeFile(path.join(etc, 'nsswitch.conf'), 'hosts: files\n');
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.pipe(upstream).pipe(client);
  });
  const socket = path.join(socketDir, 'endpoint.sock');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  const inside = new URL(url.href);
  if (net.isIP(host) !== 0) inside.hostname = '127.0.0.1';
  inside.port = insidePort === (url.protocol === 'https:' ? 443 : 80) ? '' : String(insidePort);
  return {
    insideUrl: inside.href,
    binds: [
      { host: socketDir, inside: path.posix.dirname(INSIDE_RELAY.socket), writable: false },
      { host: relayProgramDir(), inside: path.posix.dirname(INSIDE_RELAY.program), writable: false },
      { host: path.join(etc, 'hosts'), inside: '/etc/hosts', writable: false },
      { host: path.join(etc, 'nsswitch.conf'), inside: '/etc/nsswitch.conf', writable: false },
    ],
    wrap: (command, args) => [process.execPath, [INSIDE_RELAY.program, String(insidePort), INSIDE_RELAY.socket, command, ...args]],
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
