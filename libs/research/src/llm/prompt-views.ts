import { ROOT_NODE_ID } from '@hypotree/events';
import type { Parameter } from '@hypotree/task';
import type { Decision, Insight, SearchTree } from '@hypotree/tree';
import { formatValue } from '../space.js';

/** The declared parameter space, one line per parameter. */
export function spaceView(space: readonly Parameter[]): string {
  if (space.length === 0) return '(no declared parameters: changes are free-form edits of the allowed files)';
  return space
    .map((p) => {
      switch (p.type) {
        case 'float':
        case 'int':
          return `- ${p.name}: ${p.type} in [${formatValue(p.min)}, ${formatValue(p.max)}]${p.log ? ' (log scale)' : ''}, default ${formatValue(p.default)}`;
        case 'choice':
          return `- ${p.name}: one of ${p.choices.map((c) => JSON.stringify(c)).join(', ')}, default ${JSON.stringify(p.default)}`;
        case 'bool':
          return `- ${p.name}: true or false, default ${p.default}`;
      }
    })
    .join('\n');
}

/** Insights as prompt lines with their ids: "- [id] constraint (subtree of 1.2): text". */
export function insightLines(insights: readonly Insight[]): string {
  if (insights.length === 0) return '(none)';
  return insights.map((i) => `- [${i.id}] ${i.kind} (${i.scope === 'global' ? 'global' : `${i.scope} of node ${i.nodeId}`}): ${i.text}`).join('\n');
}

/** The active insights attached to the root: the search-wide summary. */
export function rootInsights(tree: SearchTree): Insight[] {
  return [...tree.insights.values()].filter((i) => i.active && i.nodeId === ROOT_NODE_ID);
}

/** Why subtrees were pruned: lessons about directions abandoned. */
export function prunedLessons(tree: SearchTree): string {
  const lines = [...tree.nodes.values()].filter((n) => n.pruned).map((n) => `- node ${n.id} (${n.hypothesis?.title ?? 'baseline'}): ${n.pruned!.reason}`);
  return lines.length > 0 ? lines.join('\n') : '(none)';
}

/** Active findings anywhere in the tree, most recent first, at most `limit`. */
export function validatedFindings(tree: SearchTree, limit = 20): Insight[] {
  return [...tree.insights.values()].filter((i) => i.active && i.kind === 'finding').reverse().slice(0, limit);
}

/**
 * A decision as a model may see it: the rule that fired and the dev gain over the admitted parent,
 * never the policy's free-text reason or its gate deltas (`gate`, `gateMargin`), which quote gate
 * scores. A proposer or distiller that sees gate numbers adapts to the validation set, and the
 * gate stops being an independent check.
 */
export function decisionView(decision: Decision): string {
  const dev = decision.deltas['dev'];
  const threshold = decision.deltas['threshold'];
  const gain = dev === undefined ? '' : ` (dev gain ${formatValue(dev)}${threshold === undefined ? '' : ` vs threshold ${formatValue(threshold)}`})`;
  return `${decision.admitted ? 'admitted' : 'rejected'} by ${decision.rule}${gain}`;
}
