import { createHash } from 'node:crypto';
import { ROOT_NODE_ID } from '@hypotree/events';
import { lineage, type SearchTree } from '@hypotree/tree';
import { lessonText, patternsOf, strongestLesson, type Lesson, type LessonBar, type Pattern } from './lessons.js';
import { observationsUnder, observe, type Observation } from './observations.js';
import { describeMove } from './moves.js';
import type { DistillRequest, Distiller, InsightDraft } from '../types.js';

/** How much evidence a lesson needs: constraints (hurts) and findings (helps) have their own bars. */
export interface OfflineDistillerOptions {
  constraint?: Partial<LessonBar>;
  finding?: Partial<LessonBar>;
}

const LESSON_PREFIX = 'offline-lesson-';
const NODE_PREFIX = 'offline-node-';

/**
 * Statistical lessons with provenance, no model: after a node is decided, (1) a finding for an
 * admitted change, and (2) for every pattern the node's change speaks to, the lesson at the scope along
 * its lineage where it holds most cleanly (best ratio; ties go to the broadest, global at the root). Ids hash the lesson and its counts, so
 * re-distilling never duplicates and a lesson with new counts supersedes the old one.
 */
export class OfflineDistiller implements Distiller {
  readonly kind = 'offline';
  private readonly bars: Record<Pattern['outcome'], LessonBar>;

  constructor(options: OfflineDistillerOptions = {}) {
    this.bars = {
      hurts: { minSupport: 3, minRatio: 0.75, ...options.constraint },
      helps: { minSupport: 2, minRatio: 0.6, ...options.finding },
    };
  }

  async distill({ tree, task, nodeId }: DistillRequest): Promise<InsightDraft[]> {
    const node = tree.nodes.get(nodeId);
    if (!node) throw new Error(`offline distiller: node ${nodeId} is not in search ${tree.searchId}`);
    const space = task.spec.parameters?.space ?? [];
    const observation = observe(tree, node, space);
    if (!observation) return [];
    const metric = tree.objective?.metric ?? task.spec.objective.metric;
    const drafts: InsightDraft[] = [];
    const nodeFinding = this.nodeFinding(observation, metric);
    if (nodeFinding && !tree.insights.has(nodeFinding.insightId)) drafts.push(nodeFinding);
    const scopes = lineage(tree, observation.parentId);
    for (const pattern of patternsOf(observation)) {
      let best: { lesson: Lesson; scopeId: string } | undefined;
      for (const scope of scopes) {
        const lesson = strongestLesson(observationsUnder(tree, scope.id, space), pattern, this.bars[pattern.outcome]);
        if (lesson && (!best || ratio(lesson) > ratio(best.lesson))) best = { lesson, scopeId: scope.id };
      }
      if (!best) continue;
      const draft = this.lessonDraft(tree, best.lesson, best.scopeId, scopes.map((s) => s.id));
      if (!tree.insights.has(draft.insightId)) drafts.push(draft);
    }
    return drafts;
  }

  private nodeFinding(o: Observation, metric: string): InsightDraft | undefined {
    if (o.outcome !== 'helped') return undefined;
    const moves = o.moves.map((m) => describeMove({ ...m, reasons: [] })).join(', ');
    const only = o.moves.length === 1 ? o.moves[0]! : undefined;
    const claim = only && {
      param: only.param,
      relation: only.direction === undefined ? ('equals' as const) : only.direction === 1 ? ('above' as const) : ('below' as const),
      value: only.direction === undefined ? only.to : only.from,
      outcome: 'helps' as const,
      support: 1,
      of: 1,
    };
    return {
      insightId: NODE_PREFIX + digest([o.nodeId]),
      nodeId: o.nodeId,
      scope: 'subtree',
      kind: 'finding',
      basis: o.basis,
      text: `node ${o.nodeId} (${moves}) changed ${metric} by ${o.label} over node ${o.parentId} and was admitted`,
      evidence: o.evidence,
      distiller: { kind: this.kind },
      ...(claim ? { claim } : {}),
      supersedes: [],
    };
  }

  private lessonDraft(tree: SearchTree, lesson: Lesson, scopeId: string, path: string[]): InsightDraft {
    const global = scopeId === ROOT_NODE_ID;
    // The lesson rests on the gate when its gate-verified outcomes alone (failures included) clear the bar.
    const bar = this.bars[lesson.outcome];
    const gateSupport = lesson.support.filter((o) => o.basis === 'gate').length;
    const gateOf = lesson.of.filter((o) => o.basis === 'gate').length;
    const basis = gateSupport >= bar.minSupport && gateSupport / gateOf >= bar.minRatio ? ('gate' as const) : ('dev' as const);
    const claim = { param: lesson.param, relation: lesson.relation, value: lesson.value, outcome: lesson.outcome, support: lesson.support.length, of: lesson.of.length };
    const insightId = LESSON_PREFIX + digest([scopeId, claim.param, claim.relation, claim.value, claim.outcome, claim.support, claim.of]);
    const sameKey = (c: typeof claim | undefined) =>
      c !== undefined && c.param === claim.param && c.relation === claim.relation && c.outcome === claim.outcome && (claim.relation !== 'equals' || c.value === claim.value);
    const supersedes = [...tree.insights.values()]
      .filter((i) => i.active && i.id !== insightId && i.id.startsWith(LESSON_PREFIX) && path.includes(i.nodeId) && sameKey(i.claim))
      .map((i) => i.id);
    return {
      insightId,
      nodeId: scopeId,
      scope: global ? 'global' : 'subtree',
      // A hard limit only on gate-verified evidence: a dev-only "hurt" may be the dev set's noise or its overfitting.
      kind: lesson.outcome === 'hurts' && basis === 'gate' ? 'constraint' : 'finding',
      basis,
      text: lessonText(lesson, global ? 'across the tree' : `under node ${scopeId}`),
      evidence: [...new Set(lesson.of.flatMap((o) => o.evidence))],
      distiller: { kind: this.kind },
      claim,
      supersedes,
    };
  }
}

function ratio(lesson: Lesson): number {
  return lesson.support.length / lesson.of.length;
}

function digest(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
