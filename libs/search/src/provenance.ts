import { isDeepStrictEqual } from 'node:util';
import type { RecordedSearchEvent, ReuseSource, RunScore } from '@hypotree/events';

/**
 * What is wrong with a search's reused evidence, if anything: every ExperimentReused, and every
 * evaluation or model call marked `reusedFrom`, must name an event of its family that says the same
 * (the same outcome under other ids; the same commit and runs; the same prompt and reply). A replay
 * stream edited to pass off a score as reused fails here, naming the event. `family` holds every
 * event of the family by id. Pure.
 */
export function reuseProblems(history: readonly RecordedSearchEvent[], family: ReadonlyMap<string, RecordedSearchEvent>): string[] {
  const problems: string[] = [];
  for (const e of history) {
    const problem = check(e, family);
    if (problem) problems.push(`${e.streamId}@${e.revision} (${e.type}): ${problem}`);
  }
  return problems;
}

const sameRuns = (a: readonly RunScore[], b: readonly RunScore[]) => {
  const bySeed = new Map(b.map((r) => [r.seed, r.value]));
  return a.every((r) => bySeed.get(r.seed) === r.value);
};

function runsOf(e: RecordedSearchEvent, commit: string): RunScore[] | undefined {
  switch (e.type) {
    case 'BaselineMeasured':
    case 'ExperimentRepeated':
    case 'ExperimentSucceeded':
      return e.data.commit === commit ? e.data.runs : undefined;
    case 'ExperimentReused':
      return e.data.outcome.type === 'ExperimentSucceeded' && e.data.outcome.data.commit === commit ? e.data.outcome.data.runs : undefined;
    default:
      return undefined;
  }
}

function check(e: RecordedSearchEvent, family: ReadonlyMap<string, RecordedSearchEvent>): string | undefined {
  const sourceOf = (from: ReuseSource) => family.get(from.eventId);
  const missing = (from: ReuseSource) => `its source ${from.eventId} (search ${from.searchId}) is not in the family's log`;
  switch (e.type) {
    case 'ExperimentReused': {
      const source = sourceOf(e.data.source);
      if (!source) return missing(e.data.source);
      const recorded = source.type === 'ExperimentReused' ? source.data.outcome : { type: source.type, data: source.data };
      if (recorded.type !== e.data.outcome.type) return `it reuses a ${e.data.outcome.type} but its source is a ${recorded.type}`;
      const expected = { ...(recorded.data as object), experimentId: e.data.experimentId, nodeId: e.data.nodeId };
      return isDeepStrictEqual(expected, e.data.outcome.data) ? undefined : `its outcome differs from its source ${source.id}`;
    }
    case 'BaselineMeasured':
    case 'ExperimentRepeated': {
      if (!e.data.reusedFrom) return undefined;
      const source = sourceOf(e.data.reusedFrom);
      if (!source) return missing(e.data.reusedFrom);
      const runs = runsOf(source, e.data.commit);
      return runs && sameRuns(e.data.runs, runs) ? undefined : `its runs of ${e.data.commit.slice(0, 10)} are not its source ${source.id}'s`;
    }
    case 'GateEvaluated':
    case 'GateFailed': {
      if (!e.data.reusedFrom) return undefined;
      const source = sourceOf(e.data.reusedFrom);
      if (!source) return missing(e.data.reusedFrom);
      if (source.type !== e.type || source.data.commit !== e.data.commit) return `its source ${source.id} is not a ${e.type} of ${e.data.commit.slice(0, 10)}`;
      if (e.type === 'GateEvaluated' && source.type === 'GateEvaluated' && !(source.data.runs.length === e.data.runs.length && sameRuns(e.data.runs, source.data.runs))) {
        return `its gate runs are not its source ${source.id}'s`;
      }
      return undefined;
    }
    case 'FinalTestEvaluated': {
      for (const scored of [e.data.baseline, e.data.best]) {
        if (!scored.reusedFrom) continue;
        const source = sourceOf(scored.reusedFrom);
        if (!source) return missing(scored.reusedFrom);
        if (source.type !== 'FinalTestEvaluated') return `the test score of ${scored.nodeId} names ${source.id}, which is not a held-out test`;
        const match = [source.data.baseline, source.data.best].find((s) => s.commit === scored.commit && s.runs && scored.runs && sameRuns(scored.runs, s.runs));
        if (!match) return `the test score of ${scored.nodeId} is not among its source ${source.id}'s`;
      }
      return undefined;
    }
    case 'ModelCalled': {
      if (!e.data.reusedFrom) return undefined;
      const source = sourceOf(e.data.reusedFrom);
      if (!source) return missing(e.data.reusedFrom);
      if (source.type !== 'ModelCalled') return `its source ${source.id} is not a model call`;
      const same = source.data.promptHash === e.data.promptHash && source.data.model === e.data.model && source.data.reply === e.data.reply;
      return same ? undefined : `its prompt, model or reply differs from its source ${source.id}`;
    }
    default:
      return undefined;
  }
}
