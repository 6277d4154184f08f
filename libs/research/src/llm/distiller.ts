import { createHash } from 'node:crypto';
import { describeNode, lineage, renderTree, type SearchTree, type TreeNode } from '@hypotree/tree';
import { z } from 'zod';
import { StructuredChat, withoutUsage, type ChatMessage, type LlmConfig } from './chat.js';
import { decisionView } from './prompt-views.js';
import type { DistillRequest, Distiller, InsightDraft } from '../types.js';

/** Configuration of the LLM distiller: the endpoint plus how much of the tree the prompt shows. */
export interface LlmDistillerOptions extends LlmConfig {
  /** Deepest tree level shown in the prompt; default 4. */
  maxDepth?: number;
}

const ReplySchema = z.object({
  insights: z.array(z.object({ nodeId: z.string(), kind: z.enum(['finding', 'constraint']), text: z.string().min(1).max(600) })).min(1),
});

/**
 * Insight backpropagation with a model: after a node is decided, summarises the evidence of the
 * children of each node on its parent chain (their results and insights) into that node's insight,
 * from the parent up to the root, in one structured call. Each draft supersedes the node's previous
 * LLM insight; ids hash the node and the prompt, so re-distilling the same tree does not duplicate.
 */
export class LlmDistiller implements Distiller {
  readonly kind = 'llm';
  private readonly chat: StructuredChat;

  constructor(private readonly options: LlmDistillerOptions) {
    this.chat = new StructuredChat(options, 'llm distiller');
  }

  async distill({ tree, task, nodeId }: DistillRequest): Promise<InsightDraft[]> {
    const node = tree.nodes.get(nodeId);
    if (!node) throw new Error(`llm distiller: node ${nodeId} is not in search ${tree.searchId}`);
    if (!node.parentId) return [];
    const chain = lineage(tree, node.parentId).reverse();
    const ids = chain.map((n) => n.id);
    const { metric, direction } = task.spec.objective;
    const system = [
      'You are the insight distiller of hypotree, an autonomous research system organised as a hypothesis tree.',
      `Objective: ${direction} ${metric}. For each node listed, write ONE short, reusable lesson (at most two sentences) that generalises what its children showed: what helped, what hurt, by how much, and what to try or avoid next. Lessons of deeper nodes feed the lessons of their ancestors, up to the root.`,
      'kind is "constraint" when the lesson is mainly about what to avoid, "finding" otherwise. Cite node ids. Reply with JSON only, matching the schema, with exactly one entry per listed node.',
    ].join('\n');
    const user = [
      `# Task: ${task.spec.name}\n${task.spec.description}`,
      `# Tree\n${renderTree(tree, { insights: true, gate: false, maxDepth: this.options.maxDepth ?? 4 })}`,
      ...chain.map((n) => `# Node ${n.id} (deepest first)\n${this.evidenceView(tree, n)}`),
      `Write one lesson for each of: ${ids.join(', ')}.`,
    ].join('\n\n');
    const messages: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ];
    const check = (reply: z.infer<typeof ReplySchema>) => {
      const got = reply.insights.map((i) => i.nodeId);
      const missing = ids.filter((id) => !got.includes(id));
      const extra = got.filter((id) => !ids.includes(id));
      const twice = got.filter((id, i) => got.indexOf(id) !== i);
      return [
        ...(missing.length ? [`missing lessons for nodes ${missing.join(', ')}`] : []),
        ...(extra.length ? [`nodes ${extra.join(', ')} were not asked for (asked: ${ids.join(', ')})`] : []),
        ...(twice.length ? [`more than one lesson for nodes ${twice.join(', ')}`] : []),
      ];
    };
    const { value, producer } = await this.chat.ask(this.kind, 'insights', ReplySchema, messages, check);
    const drafts: InsightDraft[] = [];
    for (const lesson of value.insights) {
      const at = tree.nodes.get(lesson.nodeId)!;
      const insightId = `llm-${createHash('sha256').update(JSON.stringify([at.id, producer.promptHash])).digest('hex').slice(0, 16)}`;
      if (tree.insights.has(insightId)) continue;
      const previous = at.insights.filter((id) => tree.insights.get(id)?.active && tree.insights.get(id)?.distiller.kind === this.kind);
      const distiller = drafts.length === 0 ? producer : withoutUsage(producer);
      drafts.push({ insightId, nodeId: at.id, scope: 'subtree', kind: lesson.kind, text: lesson.text, evidence: evidenceOf(tree, at), distiller, supersedes: previous });
    }
    return drafts;
  }

  private evidenceView(tree: SearchTree, n: TreeNode): string {
    const lines = [describeNode(tree, n, { gate: false })];
    for (const id of n.children) {
      const child = tree.nodes.get(id)!;
      lines.push(`- child ${describeNode(tree, child, { gate: false })}${child.failure ? ` (${child.failure.detail})` : ''}${child.decision ? ` — ${decisionView(child.decision)}` : ''}`);
      for (const insightId of child.insights) {
        const insight = tree.insights.get(insightId)!;
        if (insight.active) lines.push(`  · ${insight.kind}: ${insight.text}`);
      }
    }
    const own = n.insights.map((id) => tree.insights.get(id)!).filter((i) => i.active && i.distiller.kind === this.kind);
    lines.push(`Previous lesson of node ${n.id}: ${own.map((i) => i.text).join(' ') || '(none)'}`);
    return lines.join('\n');
  }
}

// The events a node's lesson rests on: its children's results, failures and decisions, and their insights.
function evidenceOf(tree: SearchTree, n: TreeNode): string[] {
  const ids: string[] = [];
  for (const id of n.children) {
    const child = tree.nodes.get(id)!;
    if (child.result) ids.push(child.result.eventId);
    if (child.failure) ids.push(child.failure.eventId);
    if (child.decision) ids.push(child.decision.eventId);
    for (const insightId of child.insights) {
      const insight = tree.insights.get(insightId);
      if (insight?.active) ids.push(insight.eventId);
    }
  }
  return ids;
}
