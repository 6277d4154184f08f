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
  if (pattern.relation === 'equals') return lessonAt(observations, pattern, pattern.value!, bar);
  const sign = pattern.relation === 'above' ? 1 : -1;
  const moves = observations.filter((o) => moveOf(o, pattern.param)?.direction === sign);
  const thresholds = [...new Set(moves.flatMap((o) => [moveOf(o, pattern.param)!.from, moveOf(o, pattern.param)!.to]))].filter((v): v is number => typeof v === 'number');
  let best: Lesson | undefined;
  for (const t of thresholds) {
    const lesson = lessonAt(moves, pattern, t, bar);
    if (!lesson) continue;
    const [s, bs] = [lesson.support.length, best?.support.length ?? 0];
    const better =
      !best ||
      s > bs ||
      (s === bs && s / lesson.of.length > bs / best.of.length) ||
      (s === bs && s / lesson.of.length === bs / best.of.length && sign * (t - Number(best.value)) > 0);
    if (better) best = lesson;
  }
  return best;
}

/** The lesson of a pattern at one threshold (or value, for `equals`), or undefined when it does not clear the bar. */
export function lessonAt(observations: readonly Observation[], pattern: Pattern, value: ParameterValue, bar: LessonBar): Lesson | undefined {
  const of = observations.filter((o) => speaksTo(o, pattern, value));
  const support = of.filter((o) => o.outcome === wanted[pattern.outcome]);
  const holds = support.length >= bar.minSupport && support.length / of.length >= bar.minRatio;
  return of.length > 0 && holds ? { ...pattern, value, support, of } : undefined;
}

/** Whether an observation bears on a pattern at a value: it set the value (`equals`), or its move crossed the threshold the pattern's way. */
export function speaksTo(o: Observation, pattern: Pick<Pattern, 'param' | 'relation'>, value: ParameterValue): boolean {
  const m = moveOf(o, pattern.param);
  if (!m) return false;
  if (pattern.relation === 'equals') return m.direction === undefined && m.to === value;
  const sign = pattern.relation === 'above' ? 1 : -1;
  return m.direction === sign && sign * (Number(value) - Number(m.from)) >= 0 && sign * (Number(m.to) - Number(value)) > 0;
}

function moveOf(o: Observation, param: string): ParamMove | undefined {
  return o.moves.find((m) => m.param === param);
}

/** A lesson in a sentence: "raising lr above 0.3 hurt 3/3 times under node 1.2 (1.2.1: crash, …)". */
export function lessonText(lesson: Lesson, where: string, isolated: boolean): string {
  const what =
    lesson.relation === 'equals'
      ? `setting ${lesson.param} = ${formatValue(lesson.value)}`
      : `${lesson.relation === 'above' ? 'raising' : 'lowering'} ${lesson.param} ${lesson.relation} ${formatValue(lesson.value)}`;
  const cases = lesson.of.slice(0, 5).map((o) => `${o.nodeId}: ${o.label}`).join(', ');
  const more = lesson.of.length > 5 ? `, … ${lesson.of.length - 5} more` : '';
  const verdict = isolated ? (lesson.outcome === 'hurts' ? 'hurt' : 'helped') : `went with ${lesson.outcome === 'hurts' ? 'worse' : 'better'} scores`;
  const caveat = isolated ? '' : '; other parameters moved at the same time, so this is a correlation, not a cause';
  return `${what} ${verdict} ${lesson.support.length}/${lesson.of.length} times ${where} (${cases}${more})${caveat}`;
}
