import { ROOT_NODE_ID, type HypothesisChange } from '@hypotree/events';
import type { SearchTree, TreeNode } from './model.js';
import { devScore } from './queries.js';

export interface RenderOptions {
  /** Show insights under the nodes they are attached to. */
  insights?: boolean;
  /** Deepest level shown; deeper subtrees are summarised as "… n more". */
  maxDepth?: number;
  /**
   * Show gate scores (default true, for a person's terminal). A model's prompt must pass
   * `false`: a proposer or distiller that sees gate scores adapts to the validation set,
   * and the gate stops being an independent check.
   */
  gate?: boolean;
  /**
   * Mark this node with ★ (a person's terminal: the search's best). A model's prompt must not get
   * one: the best node is chosen on the gate.
   */
  best?: string;
}

/** Options of a one-line node description. */
export interface DescribeOptions {
  /** Show the gate score (default true); see {@link RenderOptions.gate}. */
  gate?: boolean;
}

/** A compact text view of the tree, for a proposer's prompt or a person's terminal. */
export function renderTree(tree: SearchTree, options: RenderOptions = {}): string {
  const lines: string[] = [];
  const rootNode = tree.nodes.get(ROOT_NODE_ID);
  if (!rootNode) return '(search not started)';
  const sandbox = tree.started?.trust?.sandbox;
  if (sandbox !== undefined && sandbox !== 'allowlist') lines.push(`!! sandbox: ${sandbox} — evaluations of this search ran without the allowlist sandbox`);
  const walk = (n: TreeNode, prefix: string, childPrefix: string): void => {
    lines.push(prefix + describeNode(tree, n, options) + (n.id === options.best ? ' ★' : ''));
    if (options.insights) {
      for (const id of n.insights) {
        const insight = tree.insights.get(id)!;
        if (insight.active) lines.push(`${childPrefix}  · ${insight.kind}: ${insight.text}`);
      }
    }
    if (options.maxDepth !== undefined && n.depth >= options.maxDepth && n.children.length > 0) {
      lines.push(`${childPrefix}└─ … ${n.children.length} more`);
      return;
    }
    n.children.forEach((id, i) => {
      const last = i === n.children.length - 1;
      walk(tree.nodes.get(id)!, childPrefix + (last ? '└─ ' : '├─ '), childPrefix + (last ? '   ' : '│  '));
    });
  };
  walk(rootNode, '', '');
  return lines.join('\n');
}

/** One line about a node: id, title, scores, status (and its gate score unless `gate: false`). */
export function describeNode(tree: SearchTree, n: TreeNode, options: DescribeOptions = {}): string {
  const title = n.hypothesis ? `${n.hypothesis.title} ${describeChange(n.hypothesis.change)}` : 'baseline';
  const parts = [n.id, title];
  if (n.result) parts.push(`dev=${fmt(n.result.mean)}±${fmt(n.result.stdev)}`);
  const parent = n.parentId ? tree.nodes.get(n.parentId) : undefined;
  const mine = devScore(tree, n);
  const theirs = parent ? devScore(tree, parent) : undefined;
  if (mine !== undefined && theirs !== undefined) parts.push(`(${mine - theirs >= 0 ? '+' : ''}${fmt(mine - theirs)})`);
  if (n.gate && options.gate !== false) parts.push(`gate=${fmt(n.gate.mean)}`);
  const status = n.failure ? `failed: ${n.failure.kind}` : n.status;
  parts.push(`[${status}${n.pruned ? ', pruned' : ''}${n.exhausted ? ', exhausted' : ''}]`);
  return parts.join(' ');
}

/** A parameter change as `{lr=0.1, epochs=20}`; free-form changes by their first words. */
export function describeChange(change: HypothesisChange): string {
  if (change.kind === 'params') {
    return `{${Object.entries(change.set).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`).join(', ')}}`;
  }
  const words = change.instructions.trim().split(/\s+/);
  return `{${words.slice(0, 8).join(' ')}${words.length > 8 ? '…' : ''}}`;
}

function fmt(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 1000 || abs < 0.001 ? value.toExponential(2) : String(Number(value.toPrecision(4)));
}
