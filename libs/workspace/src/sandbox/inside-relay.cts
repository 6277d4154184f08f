// Runs inside an agent's sandbox, whose network namespace has only loopback: listens on
// 127.0.0.1:<port> and relays every connection to hypotree's endpoint socket (bound in from the
// host, where it reaches the one model endpoint the search allows), then runs the agent with
// stdin, stdout and stderr passed through, and exits with the agent's status.
import { spawn } from 'node:child_process';
import net from 'node:net';

const [port, socketPath, command, ...args] = process.argv.slice(2);
if (port === undefined || socketPath === undefined || command === undefined) {
  console.error('usage: inside-relay <port> <endpoint socket> <command> [args…]');
  process.exit(125);
}

const server = net.createServer((client) => {
  const upstream = net.connect(socketPath);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.pipe(upstream).pipe(client);
});
server.on('error', (error) => {
  console.error(`hypotree endpoint relay: ${error.message}`);
  process.exit(125);
});
server.listen(Number(port), '127.0.0.1', () => {
  const agent = spawn(command, args, { stdio: 'inherit' });
  agent.on('error', (error) => {
    console.error(`hypotree endpoint relay: cannot start ${command}: ${error.message}`);
    process.exit(127);
  });
  agent.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
});
