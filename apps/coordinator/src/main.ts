import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runDistributed } from './distributed.js';

/**
 * The coordinator as a service process: runs (or, with a known --search-id, resumes) one search on
 * NATS with remote executors and distillers, then prints its summary as JSON:
 * `node apps/coordinator/dist/main.js <task> --nats nats://… [--store URL] [--workdir DIR] [--search-id ID] [--budget N] [--parallel P]`.
 * (`hypotree run --nats` is the same with the CLI's flags and output.)
 */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: { nats: { type: 'string' }, store: { type: 'string' }, workdir: { type: 'string' }, 'search-id': { type: 'string' }, budget: { type: 'string' }, parallel: { type: 'string' } },
    });
    const task = positionals[0] ?? process.env.HYPOTREE_TASK;
    const nats = values.nats ?? process.env.HYPOTREE_NATS_URL;
    if (!task || !nats) throw new Error('usage: main.js <task> --nats nats://host:4222 (or HYPOTREE_TASK and HYPOTREE_NATS_URL)');
    const count = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const summary = await runDistributed({
      nats,
      store: values.store ?? process.env.HYPOTREE_STORE,
      config: {
        task,
        searchId: values['search-id'] ?? process.env.HYPOTREE_SEARCH_ID,
        workdir: values.workdir ?? process.env.HYPOTREE_WORKDIR ?? '.hypotree',
        budget: { experiments: count(values.budget), parallel: count(values.parallel) },
      },
    });
    console.log(JSON.stringify(summary));
  } catch (error) {
    console.error(`hypotree coordinator: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
