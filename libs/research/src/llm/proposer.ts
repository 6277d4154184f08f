import type { HypothesisChange } from '@hypotree/events';
import { outOfSpace, type Parameter } from '@hypotree/task';
import { renderTree, type Insight } from '@hypotree/tree';
import { z } from 'zod';
import { forbiddenBy, splitClaims } from '../offline/moves.js';
import { StructuredChat, withoutUsage, type ChatMessage, type LlmConfig } from './chat.js';
import { insightLines, prunedLessons, rootInsights, spaceView, validatedFindings } from './prompt-views.js';
import { configKey, formatValue, triedConfigs } from '../space.js';
import type { Proposal, ProposalRequest, Proposer } from '../types.js';

/** What the proposer may ask for: parameter assignments from the declared space, free-form edits, or both. */
export type ChangeKinds = 'params' | 'freeform' | 'both';

/** Configuration of the LLM proposer: the endpoint plus how much of the tree the prompt shows. */
export interface LlmProposerOptions extends LlmConfig {
  /** Deepest tree level shown in the prompt; default 6. */
  maxDepth?: number;
  /** Default: `params` when the task declares a parameter space, else `freeform`. */
  changes?: ChangeKinds;
}

// Strict structured output allows no open records, so a parameter assignment travels as a list of
// {name, value} pairs; `set` is empty for free-form changes and `instructions` empty for params.
const ReplySchema = (count: number, kinds: readonly ['params' | 'freeform', ...('params' | 'freeform')[]]) =>
  z.object({
    hypotheses: z
      .array(
        z.object({
          title: z.string().min(1),
          mechanism: z.string().min(1),
          prediction: z.string().min(1),
          change: z.object({
            kind: z.enum(kinds),
            set: z.array(z.object({ name: z.string(), value: z.union([z.number(), z.string(), z.boolean()]) })),
            instructions: z.string(),
          }),
          insightIds: z.array(z.string()),
        }),
      )
      .min(1)
      .max(count),
  });
type Reply = z.infer<ReturnType<typeof ReplySchema>>;
type Drafted = Reply['hypotheses'][number];

/** Proposes hypotheses with a model through any OpenAI-compatible endpoint; every reply is validated before it is used. */
export class LlmProposer implements Proposer {
  readonly kind = 'llm';
  private readonly chat: StructuredChat;

  constructor(private readonly options: LlmProposerOptions) {
    this.chat = new StructuredChat(options, 'llm proposer');
  }

  async propose(request: ProposalRequest): Promise<Proposal[]> {
    const space = request.task.spec.parameters?.space ?? [];
    const kinds = this.options.changes ?? (space.length > 0 ? 'params' : 'freeform');
    if (kinds !== 'freeform' && space.length === 0) {
      throw new Error(`llm proposer: changes '${kinds}' need a declared parameter space, and task '${request.task.spec.name}' (${request.task.specPath}) has none; use changes 'freeform'`);
    }
    const allowed = kinds === 'both' ? (['params', 'freeform'] as const) : ([kinds] as const);
    const messages = this.messages(request, space, kinds);
    const { value, producer } = await this.chat.ask(this.kind, 'hypotheses', ReplySchema(request.count, allowed), messages, (reply) => problems(reply, request, space));
    const known = new Set(request.insights.map((i) => i.id));
    return value.hypotheses.map((h, i) => ({
      title: h.title,
      mechanism: h.mechanism,
      prediction: h.prediction,
      change: toChange(h),
      proposer: i === 0 ? producer : withoutUsage(producer),
      insightsConsidered: [...new Set(h.insightIds.filter((id) => known.has(id)))],
    }));
  }

  private messages(request: ProposalRequest, space: readonly Parameter[], kinds: ChangeKinds): ChatMessage[] {
    const { tree, task, parentId, count, insights, parentParams } = request;
    const parent = tree.nodes.get(parentId);
    if (!parent) throw new Error(`llm proposer: parent node ${parentId} is not in search ${tree.searchId}`);
    const { metric, direction } = task.spec.objective;
    const parentScore = parent.result ? `dev ${metric} ${formatValue(parent.result.mean)} ± ${formatValue(parent.result.stdev)} over ${parent.result.runs.length} runs` : 'not yet measured';
    const changeRule =
      kinds === 'params'
        ? 'change.kind must be "params": set lists {name, value} pairs from the declared space (only the parameters you change); instructions is "".'
        : kinds === 'freeform'
          ? `change.kind must be "freeform": instructions say exactly what to edit in ${task.spec.allowedPaths.join(', ')}; set is [].`
          : 'change.kind is "params" (set from the declared space, instructions "") or "freeform" (instructions for the allowed files, set []).';
    const system = [
      'You are the proposer of hypotree, an autonomous research system that improves an artifact through experiments organised as a hypothesis tree.',
      `Propose ${count} distinct, falsifiable hypotheses to test as children of node ${parentId}. For each give: a short title naming the change; the mechanism (why it should move the metric, citing evidence from the tree or insights); the prediction (the observable: ${metric} should ${direction === 'maximize' ? 'rise above' : 'fall below'} the parent's score, and by roughly how much); the change; and insightIds, the ids of the insights that shaped it.`,
      changeRule,
      'Never violate a constraint insight, never repeat a configuration already in the tree, and build on findings. Reply with JSON only, matching the schema.',
    ].join('\n');
    const user = [
      `# Task: ${task.spec.name}\n${task.spec.description}\nObjective: ${direction} ${metric}.`,
      `# Parameter space\n${spaceView(space)}`,
      `# Parent node ${parentId}\n${parent.hypothesis?.title ?? 'baseline'}; ${parentScore}\nParameters in force: ${JSON.stringify(parentParams)}`,
      `# Tree (id, title {change}, dev ± sd, delta vs parent, status; insights under their nodes)\n${renderTree(tree, { insights: true, gate: false, maxDepth: this.options.maxDepth ?? 6 })}`,
      `# Root insight\n${insightLines(rootInsights(tree))}`,
      `# Insights bearing on node ${parentId}\n${insightLines(insights)}`,
      `# Lessons from pruned subtrees\n${prunedLessons(tree)}`,
      `# Validated findings\n${insightLines(validatedFindings(tree).filter((i: Insight) => !insights.some((j) => j.id === i.id)))}`,
      `Propose ${count} hypotheses under node ${parentId}.`,
    ].join('\n\n');
    return [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ];
  }
}

function toChange(h: Drafted): HypothesisChange {
  return h.change.kind === 'params'
    ? { kind: 'params', set: Object.fromEntries(h.change.set.map((p) => [p.name, p.value])) }
    : { kind: 'freeform', instructions: h.change.instructions };
}

// What makes a schema-valid reply unusable: unknown or out-of-space parameters, forbidden values,
// empty changes, configurations the tree already holds, duplicates within the reply.
function problems(reply: Reply, request: ProposalRequest, space: readonly Parameter[]): string[] {
  const found: string[] = [];
  const { constraints } = splitClaims(request.insights);
  const tried = space.length > 0 ? triedConfigs(request.tree, space) : new Set<string>();
  const seen = new Set<string>();
  reply.hypotheses.forEach((h, i) => {
    const at = `hypotheses[${i}] ("${h.title}")`;
    if (h.change.kind === 'freeform') {
      if (h.change.instructions.trim() === '') found.push(`${at}: a freeform change needs instructions`);
      return;
    }
    if (h.change.set.length === 0) found.push(`${at}: a params change must set at least one parameter`);
    for (const { name, value } of h.change.set) {
      const p = space.find((q) => q.name === name);
      const bad = p ? outOfSpace(p, value) : `is not a declared parameter (declared: ${space.map((q) => q.name).join(', ')})`;
      if (bad) found.push(`${at}: ${name} ${bad}`);
      const rule = forbiddenBy(constraints, name, value);
      if (rule) found.push(`${at}: ${name}=${formatValue(value)} violates constraint [${rule.id}] ${rule.text}`);
    }
    const key = configKey({ ...request.parentParams, ...Object.fromEntries(h.change.set.map((p) => [p.name, p.value])) }, space);
    if (tried.has(key)) found.push(`${at}: this configuration was already tried in the tree`);
    else if (seen.has(key)) found.push(`${at}: duplicates another hypothesis of this reply`);
    seen.add(key);
  });
  return found;
}
