import type { ParameterValue } from '@hypotree/task';
import type { Observation, Outcome, ParamMove } from './observations.js';
import { formatValue } from '../space.js';

/** A pattern a lesson is about: moving one parameter above / below a value, or setting it equal to one, and whether that hurts or helps. */
export interface Pattern {
  param: string;
  relation: 'above' | 'below' | 'equals';
  outcome: 'hurts' | 'helps';
  /** The value set, for `equals` patterns. */
  value?: ParameterValue;
}

/** A pattern with its threshold and the observations that bear on it. */
export interface Lesson extends Pattern {
  value: ParameterValue;
  support: Observation[];
  of: Observation[];
}

/** The bar a lesson must clear before it is written down. */
export interface LessonBar {
  minSupport: number;
  minRatio: number;
}

const wanted: Record<Pattern['outcome'], Outcome> = { hurts: 'hurt', helps: 'helped' };

/** The patterns one observation speaks to: for each parameter it moved, above/below (numbers) or equals (choices), hurting and helping. */
export function patternsOf(o: Observation): Pattern[] {
  return o.moves.flatMap((m) =>
    (['hurts', 'helps'] as const).map((outcome) =>
      m.direction === undefined
        ? { param: m.param, relation: 'equals' as const, value: m.to, outcome }
        : { param: m.param, relation: m.direction === 1 ? ('above' as const) : ('below' as const), outcome },
    ),
  );
}

/**
 * The strongest lesson of a pattern among observations, or undefined when none clears the bar.
 * For numbers it tries every observed value as the threshold t: an observation counts when its move
 * crossed t in the pattern's direction; the best t has the most support, then the best ratio, then
 * claims the narrowest region (largest t for `above`, smallest for `below`).
 */
export function strongestLesson(observations: readonly Observation[], pattern: Pattern, bar: LessonBar): Lesson | undefined {
  const moveOf = (o: Observation): ParamMove | undefined => o.moves.find((m) => m.param === pattern.param);
  const holds = (support: number, of: number) => support >= bar.minSupport && support / of >= bar.minRatio;
  if (pattern.relation === 'equals') {
    const of = observations.filter((o) => moveOf(o)?.direction === undefined && moveOf(o)?.to === pattern.value);
    const support = of.filter((o) => o.outcome === wanted[pattern.outcome]);
    return holds(support.length, of.length) ? { ...pattern, value: pattern.value!, support, of } : undefined;
  }
  const sign = pattern.relation === 'above' ? 1 : -1;
  const moves = observations.filter((o) => moveOf(o)?.direction === sign);
  const thresholds = [...new Set(moves.flatMap((o) => [moveOf(o)!.from, moveOf(o)!.to]))].filter((v): v is number => typeof v === 'number');
  let best: Lesson | undefined;
  for (const t of thresholds) {
    const of = moves.filter((o) => {
      const m = moveOf(o)!;
      return sign * (t - Number(m.from)) >= 0 && sign * (Number(m.to) - t) > 0;
    });
    const support = of.filter((o) => o.outcome === wanted[pattern.outcome]);
    if (of.length === 0 || !holds(support.length, of.length)) continue;
    const better =
      !best ||
      support.length > best.support.length ||
      (support.length === best.support.length && support.length / of.length > best.support.length / best.of.length) ||
      (support.length === best.support.length && support.length / of.length === best.support.length / best.of.length && sign * (t - Number(best.value)) > 0);
    if (better) best = { ...pattern, value: t, support, of };
  }
  return best;
}

/** A lesson in a sentence: "raising lr above 0.3 hurt 3/3 times under node 1.2 (1.2.1: crash, …)". */
export function lessonText(lesson: Lesson, where: string): string {
  const what =
    lesson.relation === 'equals'
      ? `setting ${lesson.param} = ${formatValue(lesson.value)}`
      : `${lesson.relation === 'above' ? 'raising' : 'lowering'} ${lesson.param} ${lesson.relation} ${formatValue(lesson.value)}`;
  const cases = lesson.of.slice(0, 5).map((o) => `${o.nodeId}: ${o.label}`).join(', ');
  const more = lesson.of.length > 5 ? `, … ${lesson.of.length - 5} more` : '';
  return `${what} ${lesson.outcome === 'hurts' ? 'hurt' : 'helped'} ${lesson.support.length}/${lesson.of.length} times ${where} (${cases}${more})`;
}
