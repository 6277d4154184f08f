import { createHash } from 'node:crypto';
import { ROOT_NODE_ID, type NodeId } from '@hypotree/events';
import { insightsOnPath, lineage, type SearchTree } from '@hypotree/tree';
import { lessonAt, lessonText, patternsOf, speaksTo, strongestLesson, type Lesson, type LessonBar, type Pattern } from './lessons.js';
import { observationsUnder, observe, type Observation } from './observations.js';
import { describeMove } from './moves.js';
import type { DistillRequest, Distiller, InsightClaim, InsightDraft } from '../types.js';

/** How much evidence a lesson needs: constraints (hurts) and findings (helps) have their own bars. */
export interface OfflineDistillerOptions {
  constraint?: Partial<LessonBar>;
  finding?: Partial<LessonBar>;
}

const LESSON_PREFIX = 'offline-lesson-';
const NODE_PREFIX = 'offline-node-';
const RETIRED_PREFIX = 'offline-overturned-';

/**
 * Statistical lessons with provenance, no model. After a node is decided: (1) a finding for an
 * admitted change; (2) for every pattern the node's change speaks to, the lesson where it holds most
 * cleanly along the node's lineage (best ratio, ties to the broadest), scoped to the smallest subtree
 * that holds all its evidence. A lesson names a cause only when its evidence is one-factor (each
 * outcome moved that parameter alone, against its parent as the control); otherwise it is recorded
 * as a correlation, which is never a constraint. (3) Lessons this node's outcome overturns are
 * superseded. Ids hash the lesson and its counts, so re-distilling never duplicates and a lesson
 * with new counts supersedes the old one.
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
    const add = (draft: InsightDraft | undefined) => {
      if (draft && !tree.insights.has(draft.insightId) && !drafts.some((d) => d.insightId === draft.insightId)) drafts.push(draft);
    };
    add(this.nodeFinding(observation, metric));
    const scopes = lineage(tree, observation.parentId);
    for (const pattern of patternsOf(observation)) {
      const bar = this.bars[pattern.outcome];
      const strongest = (keep: (o: Observation) => boolean) => {
        let best: { lesson: Lesson; scopeId: string } | undefined;
        for (const scope of scopes) {
          const lesson = strongestLesson(observationsUnder(tree, scope.id, space).filter(keep), pattern, bar);
          if (lesson && (!best || ratio(lesson) > ratio(best.lesson))) best = { lesson, scopeId: scope.id };
        }
        return best;
      };
      const cause = strongest((o) => o.isolated);
      const found = cause ?? strongest(() => true);
      if (!found) continue;
      add(this.lessonDraft(tree, found.lesson, evidenceScope(tree, found.lesson), cause !== undefined));
    }
    for (const retired of this.overturned(tree, observation, space)) add(retired);
    return drafts;
  }

  private nodeFinding(o: Observation, metric: string): InsightDraft | undefined {
    if (o.outcome !== 'helped') return undefined;
    const moves = o.moves.map((m) => describeMove({ ...m, reasons: [] })).join(', ');
    const only = o.isolated ? o.moves[0]! : undefined;
    const claim = only && {
      param: only.param,
      relation: only.direction === undefined ? ('equals' as const) : only.direction === 1 ? ('above' as const) : ('below' as const),
      value: only.direction === undefined ? only.to : only.from,
      outcome: 'helps' as const,
      support: 1,
      of: 1,
      isolation: 'one-factor' as const,
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

  private lessonDraft(tree: SearchTree, lesson: Lesson, scopeId: string, isolated: boolean): InsightDraft {
    const global = scopeId === ROOT_NODE_ID;
    // The lesson rests on the gate when its gate-verified outcomes alone (failures included) clear the bar.
    const bar = this.bars[lesson.outcome];
    const gateSupport = lesson.support.filter((o) => o.basis === 'gate').length;
    const gateOf = lesson.of.filter((o) => o.basis === 'gate').length;
    const basis = gateSupport >= bar.minSupport && gateSupport / gateOf >= bar.minRatio ? ('gate' as const) : ('dev' as const);
    const isolation = isolated ? ('one-factor' as const) : ('correlation' as const);
    const claim = { param: lesson.param, relation: lesson.relation, value: lesson.value, outcome: lesson.outcome, support: lesson.support.length, of: lesson.of.length, isolation };
    const insightId = LESSON_PREFIX + digest([scopeId, claim.param, claim.relation, claim.value, claim.outcome, claim.support, claim.of, ...(isolated ? [] : [isolation])]);
    const sameKey = (c: InsightClaim | undefined) =>
      c !== undefined && c.param === claim.param && c.relation === claim.relation && c.outcome === claim.outcome && (claim.relation !== 'equals' || c.value === claim.value);
    const related = new Set([...lineage(tree, scopeId).map((n) => n.id)]);
    const supersedes = [...tree.insights.values()]
      .filter((i) => i.active && i.id !== insightId && i.id.startsWith(LESSON_PREFIX) && related.has(i.nodeId) && sameKey(i.claim))
      .map((i) => i.id);
    return {
      insightId,
      nodeId: scopeId,
      scope: global ? 'global' : 'subtree',
      // A hard limit only on a cause verified on the gate: a dev-only "hurt" may be the dev set's noise
      // or its overfitting, and a correlation may belong to another parameter that moved with it.
      kind: lesson.outcome === 'hurts' && basis === 'gate' && isolated ? 'constraint' : 'finding',
      basis,
      text: lessonText(lesson, global ? 'across the tree' : `under node ${scopeId}`, isolated),
      evidence: [...new Set(lesson.of.flatMap((o) => o.evidence))],
      distiller: { kind: this.kind },
      claim,
      supersedes,
    };
  }

  /**
   * Lessons that apply at this node and that its outcome overturns: with this observation counted,
   * the lesson's own claim (same parameter, threshold and scope) no longer clears its bar. Each is
   * superseded by a note that says what overturned it; the search stops applying it.
   */
  private overturned(tree: SearchTree, o: Observation, space: Parameters<typeof observationsUnder>[2]): InsightDraft[] {
    const out: InsightDraft[] = [];
    for (const insight of insightsOnPath(tree, o.parentId)) {
      const claim = insight.claim;
      if (!claim || !insight.id.startsWith(LESSON_PREFIX) || !speaksTo(o, claim, claim.value)) continue;
      const evidence = observationsUnder(tree, insight.nodeId, space).filter((x) => claim.isolation !== 'one-factor' || x.isolated);
      if (lessonAt(evidence, claim, claim.value, this.bars[claim.outcome])) continue;
      const now = evidence.filter((x) => speaksTo(x, claim, claim.value));
      const still = now.filter((x) => x.outcome === (claim.outcome === 'hurts' ? 'hurt' : 'helped')).length;
      const moves = o.moves.map((m) => describeMove({ ...m, reasons: [] })).join(', ');
      const reason = `node ${o.nodeId} (${moves}: ${o.label}) goes against it; it now holds ${still}/${now.length} times, below the bar`;
      out.push({
        insightId: RETIRED_PREFIX + digest([insight.id, o.nodeId]),
        nodeId: insight.nodeId,
        scope: insight.scope,
        kind: 'finding',
        basis: o.basis,
        text: `overturned: "${insight.text}" — ${reason}`,
        evidence: o.evidence,
        distiller: { kind: this.kind },
        supersedes: [insight.id],
        supersedeReason: `overturned: ${reason}`,
      });
    }
    return out;
  }
}

/** The smallest subtree that holds all of a lesson's evidence: the deepest common ancestor of the observed changes' parents. */
function evidenceScope(tree: SearchTree, lesson: Lesson): NodeId {
  const paths = lesson.of.map((o) => lineage(tree, o.parentId).map((n) => n.id));
  let depth = 0;
  while (paths.every((p) => p[depth] !== undefined && p[depth] === paths[0]![depth])) depth += 1;
  return paths[0]![depth - 1] ?? ROOT_NODE_ID;
}

function ratio(lesson: Lesson): number {
  return lesson.support.length / lesson.of.length;
}

function digest(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
