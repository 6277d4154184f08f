import type { RecordedSearchEvent } from '@hypotree/events';
import { fold, lineage, type SearchTree } from '@hypotree/tree';

/** One experiment of a search as a flat row: what `hypotree export` writes (CSV or NDJSON). */
export interface ExperimentRow {
  search: string;
  node: string;
  parent: string;
  title: string;
  proposer: string;
  change: string;
  status: string;
  attempts: number;
  dev_mean: number | null;
  dev_sd: number | null;
  dev_runs: number;
  gate_mean: number | null;
  gate_runs: number;
  decision: string;
  rule: string;
  failure: string;
  duration_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  commit: string;
  /** One column per parameter any change set, `param.<name>`: its value along the node's lineage (empty: the task's default). */
  [param: `param.${string}`]: string | number | boolean | null;
}

/**
 * One row per experiment (every node that was dispatched at least once), in node order, with the
 * same columns for every row, so it loads as is in pandas (`pd.read_csv`) or DuckDB (`read_csv_auto`).
 */
export function experimentRows(history: readonly RecordedSearchEvent[]): ExperimentRow[] {
  const tree = fold(history);
  const outcome = new Map<string, { durationMs?: number; prompt: number; completion: number }>();
  for (const e of history) {
    if (e.type !== 'ExperimentSucceeded' && e.type !== 'ExperimentFailed') continue;
    const usage = e.data.implementation?.usage;
    const before = outcome.get(e.data.nodeId) ?? { prompt: 0, completion: 0 };
    outcome.set(e.data.nodeId, {
      durationMs: (before.durationMs ?? 0) + (e.data.durationMs ?? 0),
      prompt: before.prompt + (usage?.promptTokens ?? 0),
      completion: before.completion + (usage?.completionTokens ?? 0),
    });
  }
  const nodes = [...tree.nodes.values()].filter((n) => n.parentId !== null && n.experiments.length > 0);
  const params = [...new Set(nodes.flatMap((n) => (n.hypothesis?.change.kind === 'params' ? Object.keys(n.hypothesis.change.set) : [])))].sort();
  return nodes.map((n) => {
    const change = n.hypothesis!.change;
    const spent = outcome.get(n.id);
    const row: ExperimentRow = {
      search: tree.searchId,
      node: n.id,
      parent: n.parentId!,
      title: n.hypothesis!.title,
      proposer: n.hypothesis!.proposer.kind,
      change: change.kind === 'params' ? JSON.stringify(change.set) : change.kind,
      status: n.pruned ? `${n.status} (pruned)` : n.status,
      attempts: n.experiments.length,
      dev_mean: n.result?.mean ?? null,
      dev_sd: n.result ? n.result.stdev : null,
      dev_runs: n.result?.runs.length ?? 0,
      gate_mean: n.gate?.mean ?? null,
      gate_runs: n.gate?.runs.length ?? 0,
      decision: n.decision ? (n.decision.admitted ? 'admitted' : 'rejected') : n.failure ? 'failed' : '',
      rule: n.decision?.rule ?? '',
      failure: n.failure ? n.failure.kind : (n.gateFailure?.kind ?? ''),
      duration_ms: spent?.durationMs ?? null,
      prompt_tokens: spent?.prompt ?? 0,
      completion_tokens: spent?.completion ?? 0,
      commit: n.result?.commit ?? '',
    };
    const config = lineageParams(tree, n.id);
    for (const p of params) row[`param.${p}`] = config[p] ?? null;
    return row;
  });
}

// The parameters set along a node's lineage, root first, later changes winning (defaults are not in the log).
function lineageParams(tree: SearchTree, nodeId: string): Record<string, string | number | boolean> {
  const config: Record<string, string | number | boolean> = {};
  for (const n of lineage(tree, nodeId)) if (n.hypothesis?.change.kind === 'params') Object.assign(config, n.hypothesis.change.set);
  return config;
}
