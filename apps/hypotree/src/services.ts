import { Option, type Command } from 'commander';
import { serveDistiller } from '@hypotree/distiller';
import { serveExecutor } from '@hypotree/executor';

/** Registers the long-lived services: `hypotree executor` and `hypotree distiller` (both on NATS, until SIGTERM/SIGINT). */
export function registerServiceCommands(program: Command): void {
  program
    .command('executor')
    .description('run an executor service: take experiments from the JetStream work queue (or the core NATS queue group) until SIGTERM/SIGINT')
    .option('--nats <url>', 'NATS URL(s), comma-separated (env HYPOTREE_NATS_URL)')
    .option('--id <executorId>', 'executor id in the log (env HYPOTREE_EXECUTOR_ID; default host-pid)')
    .option('--capacity <n>', 'experiments at once (env HYPOTREE_EXECUTOR_CAPACITY; default 1)')
    .option('--drain-ms <ms>', 'on SIGTERM, how long running experiments may finish (env HYPOTREE_DRAIN_MS; default 25000)')
    .option('--workdir <dir>', "this executor's own folder for tasks sent as bundles (env HYPOTREE_EXECUTOR_WORKDIR; default ~/.hypotree-executor/<id>)")
    .addHelpText('after', '\nExample (beside a coordinator started with hypotree run <task> --nats nats://127.0.0.1:4222):\n  hypotree executor --nats nats://127.0.0.1:4222 --capacity 2')
    .action(async (opts) => {
      await serveExecutor({ nats: opts.nats, executorId: opts.id, capacity: opts.capacity, drainMs: opts.drainMs, workdir: opts.workdir });
    });

  program
    .command('distiller')
    .description('run a distiller service: answer distill requests on NATS, reading the event store, until SIGTERM/SIGINT')
    .option('--nats <url>', 'NATS URL(s), comma-separated (env HYPOTREE_NATS_URL)')
    .option('--store <url>', 'event store the coordinator writes: esdb://host:2113?tls=false or sqlite:<file> (env HYPOTREE_STORE)')
    .addOption(new Option('--distiller <kind>', 'offline lessons, or an LLM (env HYPOTREE_DISTILLER; default offline)').choices(['offline', 'llm']))
    .option('--model <name>', 'model for --distiller llm (env HYPOTREE_MODEL; endpoint OPENAI_BASE_URL)')
    .addHelpText('after', '\nExample:\n  hypotree distiller --nats nats://127.0.0.1:4222 --store sqlite:.hypotree/events.db')
    .action(async (opts) => {
      await serveDistiller({ nats: opts.nats, store: opts.store, distiller: opts.distiller, model: opts.model });
    });
}
