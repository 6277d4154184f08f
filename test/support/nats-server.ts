import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A NATS server for one test file: our own on a free loopback port, or the machine's on 4222 when nats-server is missing. */
export interface TestNats {
  url: string;
  /** Stops the server if this test started it. */
  stop(): Promise<void>;
}

/** A TCP port free on loopback now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function hasNatsServer(): Promise<boolean> {
  const found = await execa('sh', ['-c', 'command -v nats-server'], { reject: false });
  return found.exitCode === 0;
}

/** Starts `nats-server -a 127.0.0.1 -p <free port>` (JetStream on, store in a temp dir) and waits until it accepts connections. */
export async function startTestNats(): Promise<TestNats> {
  if (!(await hasNatsServer())) {
    if (!(await reachable(4222))) throw new Error('no nats-server binary and nothing on 127.0.0.1:4222: apt-get install -y nats-server');
    return { url: 'nats://127.0.0.1:4222', stop: async () => undefined };
  }
  const port = await freePort();
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-nats-'));
  const server: ResultPromise = execa('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { reject: false, all: true });
  for (let i = 0; i < 100 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await reachable(port))) {
    server.kill('SIGKILL');
    throw new Error(`nats-server did not start on port ${port}: ${(await server).all}`);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      server.kill('SIGTERM');
      await server;
      fs.rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
