import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Command } from 'commander';
import { execa } from 'execa';
import { decodeEvent, ROOT_NODE_ID, searchEventSchemas, searchStreamName, type RecordedSearchEvent, type SearchEventData } from '@hypotree/events';
import { familySpend } from '@hypotree/search';
import { bestVerified, explainNode, fold, renderTree, treeView } from '@hypotree/tree';
import { git } from '@hypotree/workspace';
import { int, storeOf, storeOption, workdirOption } from './cli-options.js';
import { formatExplanation } from './explain-text.js';
import { experimentRows } from './export.js';
import { withLog } from './inspect.js';

const searchEventTypes = Object.keys(searchEventSchemas);

/** Registers the audit commands: `tree`, `explain`, `events`, `diff`, `checkout`, `export`. */
export function registerAuditCommands(program: Command): void {
  program
    .command('tree')
    .description('print the hypothesis tree of a search (★ marks the best node)')
    .argument('<searchId>')
    .option('--insights', 'show insights under their nodes')
    .option('--json', 'the nodes and insights as one JSON object')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExamples:\n  hypotree tree spirals-1 --insights\n  hypotree tree spirals-1 --json | jq \'.nodes[] | select(.status == "admitted")\'')
    .action(async (searchId: string, opts) => {
      const tree = fold(await historyOf(storeOf(opts), searchId));
      const best = tree.completed?.bestNodeId ?? bestVerified(tree)?.id;
      console.log(opts.json ? JSON.stringify(treeView(tree)) : renderTree(tree, { insights: Boolean(opts.insights), ...(best ? { best } : {}) }));
    });

  program
    .command('explain')
    .description("why a node is where it is: its proposal, attempts, dev and gate runs, the decision (policy, rule, thresholds, evidence), insights and code")
    .argument('<searchId>')
    .argument('<nodeId>', 'a node id, e.g. 2.1 (0 is the root, the baseline)')
    .option('--json', 'the explanation as one JSON object')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExample:\n  hypotree explain spirals-1 2.1.1\n  hypotree explain spirals-1 2.1.1 --json | jq .decision')
    .action(async (searchId: string, nodeId: string, opts) => {
      const { history, family } = await withLog(storeOf(opts), async (log) => {
        const history = await log.history(searchId);
        if (history.length === 0) throw new Error(`no search ${searchId} in ${storeOf(opts)}`);
        // The family's test-set use is context: a damaged sibling search does not stop the explanation.
        const family = await log.family(searchId).then(familySpend, () => undefined);
        return { history, family };
      });
      const explanation = { ...explainNode(history, nodeId), ...(family ? { family } : {}) };
      console.log(opts.json ? JSON.stringify(explanation) : formatExplanation(explanation));
    });

  program
    .command('events')
    .description("a search's own events, in order: type, revision, time, node, and the data")
    .argument('<searchId>')
    .option('--type <type...>', `only these event types (${searchEventTypes.join(', ')})`)
    .option('--node <nodeId>', 'only events about this node')
    .option('--from <revision>', 'from this revision (inclusive)', int)
    .option('--to <revision>', 'up to this revision (inclusive)', int)
    .option('--follow', 'keep printing new events as they are appended (Ctrl-C to stop)')
    .option('--ndjson', 'one JSON object per event per line (the whole recorded event: id, type, revision, data, metadata)')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExamples:\n  hypotree events spirals-1 --type HypothesisAdmitted HypothesisRejected\n  hypotree events spirals-1 --node 2.1 --ndjson\n  hypotree events spirals-1 --follow')
    .action(async (searchId: string, opts) => {
      const unknown = (opts.type ?? []).filter((t: string) => !(searchEventTypes as readonly string[]).includes(t));
      if (unknown.length > 0) throw new Error(`--type ${unknown.join(', ')}: no such event type; the types are ${searchEventTypes.join(', ')}`);
      const wanted = (e: RecordedSearchEvent) =>
        (!opts.type || opts.type.includes(e.type)) &&
        (opts.node === undefined || (e.data as { nodeId?: string }).nodeId === opts.node) &&
        (opts.from === undefined || e.revision >= opts.from) &&
        (opts.to === undefined || e.revision <= opts.to);
      const print = (e: RecordedSearchEvent) => console.log(opts.ndjson ? JSON.stringify(e) : eventLine(e));
      await withLog(storeOf(opts), async (log) => {
        const own = await log.ownEvents(searchId);
        if (own.length === 0) throw new Error(`no search ${searchId} in ${storeOf(opts)}`);
        own.filter(wanted).forEach(print);
        if (!opts.follow) return;
        const subscription = log.store.subscribeToStream(searchStreamName(searchId), { from: { revision: own.at(-1)!.revision } });
        const stop = () => void subscription.close();
        process.once('SIGINT', stop);
        try {
          for await (const stored of subscription) {
            const e = decodeEvent(stored);
            if (opts.to !== undefined && e.revision > opts.to) break;
            if (wanted(e)) print(e);
          }
        } finally {
          process.off('SIGINT', stop);
        }
      });
    });

  program
    .command('diff')
    .description("a node's code change: its commit against its parent's (a git diff from the repository that holds the node commits)")
    .argument('<searchId>')
    .argument('<nodeId>')
    .option('--stat', 'only the diffstat')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExample:\n  hypotree diff spirals-1 2.1 --stat')
    .action(async (searchId: string, nodeId: string, opts) => {
      const { repo, commit, parentCommit } = await nodeCode(storeOf(opts), opts.workdir, searchId, nodeId);
      const args = ['diff', ...(opts.stat ? ['--stat'] : []), parentCommit, commit];
      process.stdout.write(`${await git(repo, args)}\n`);
    });

  program
    .command('checkout')
    .description("a node's code, written into a new folder (from its commit; the repository is left as it is)")
    .argument('<searchId>')
    .argument('<nodeId>')
    .argument('<dir>', 'a folder that does not exist yet, or is empty')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', '\nExample:\n  hypotree checkout spirals-1 2.1.1 /tmp/best && ls /tmp/best')
    .action(async (searchId: string, nodeId: string, dir: string, opts) => {
      const { repo, commit } = await nodeCode(storeOf(opts), opts.workdir, searchId, nodeId);
      const target = path.resolve(dir);
      if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`checkout: ${target} is not empty; give a new or empty folder`);
      mkdirSync(target, { recursive: true });
      await execa('git', ['-c', 'safe.directory=*', 'archive', '--format=tar', commit], { cwd: repo, encoding: 'buffer' }).pipe('tar', ['-x', '-C', target]);
      console.log(`node ${nodeId} of ${searchId} (commit ${commit}) is in ${target}`);
    });

  program
    .command('export')
    .description('one row per experiment (node, parent, hypothesis, parameters, dev mean and sd, gate, decision, rule, duration, tokens), for pandas or DuckDB')
    .argument('<searchId>')
    .option('--csv', 'CSV with a header (the default)')
    .option('--ndjson', 'one JSON object per experiment per line')
    .addOption(storeOption())
    .addOption(workdirOption())
    .addHelpText('after', "\nExamples:\n  hypotree export spirals-1 --csv > runs.csv        # pandas.read_csv('runs.csv')\n  hypotree export spirals-1 --ndjson > runs.ndjson  # duckdb: SELECT * FROM read_json_auto('runs.ndjson')")
    .action(async (searchId: string, opts) => {
      if (opts.csv && opts.ndjson) throw new Error('export: choose one of --csv and --ndjson');
      const rows = experimentRows(await historyOf(storeOf(opts), searchId));
      if (opts.ndjson) {
        for (const row of rows) console.log(JSON.stringify(row));
        return;
      }
      const columns = rows.length > 0 ? Object.keys(rows[0]!) : ['search', 'node', 'parent', 'title'];
      process.stdout.write(stringify(rows, { header: true, columns, cast: { boolean: (v) => String(v) } }));
    });
}

async function historyOf(storeUrl: string, searchId: string): Promise<RecordedSearchEvent[]> {
  return withLog(storeUrl, async (log) => {
    const history = await log.history(searchId);
    if (history.length === 0) throw new Error(`no search ${searchId} in ${storeUrl}`);
    return history;
  });
}

/** One line per event: revision, time, type, node, and its data in short. */
function eventLine(e: RecordedSearchEvent): string {
  const node = (e.data as { nodeId?: string }).nodeId;
  const data = JSON.stringify(e.data);
  return `${String(e.revision).padStart(5)}  ${e.metadata.at}  ${e.type.padEnd(20)} ${(node ?? '').padEnd(8)} ${data.length > 160 ? `${data.slice(0, 157)}…` : data}`;
}

/**
 * Where a node's code is: the repository that holds the node commits — the task's artifact when it
 * is a git repository, else the one hypotree imported it into, `<workdir>/<task name>/repo.git` —
 * and the node's and its parent's commits.
 */
async function nodeCode(storeUrl: string, workdir: string, searchId: string, nodeId: string): Promise<{ repo: string; commit: string; parentCommit: string }> {
  const tree = fold(await historyOf(storeUrl, searchId));
  const node = tree.nodes.get(nodeId);
  if (!node) throw new Error(`search ${searchId} has no node ${nodeId}`);
  if (!node.result) throw new Error(`node ${nodeId} of ${searchId} has no commit (${node.failure ? `its experiment failed: ${node.failure.kind}` : `it is ${node.status}`})`);
  const started = tree.started as SearchEventData<'SearchStarted'>;
  const imported = path.resolve(workdir, started.task.name, 'repo.git');
  const repo = existsSync(imported) ? imported : started.task.repo;
  if (!existsSync(repo)) throw new Error(`the repository with the node commits is not here: neither ${imported} nor ${started.task.repo} exists (is --workdir the one the search ran with?)`);
  const parent = nodeId === ROOT_NODE_ID ? undefined : tree.nodes.get(node.parentId!);
  const parentCommit = parent?.result?.commit ?? started.task.baseCommit;
  return { repo, commit: node.result.commit, parentCommit };
}
