import { parseScorerLine } from './channel.js';
import { verdictOf, type ScoringTranscript } from './verdict.js';

const clean: ScoringTranscript = {
  metric: 'accuracy',
  exit: { code: 0, signal: undefined, timedOut: false, aborted: false, limitMs: 30_000 },
  candidateRuns: [{ id: 1, command: 'node predict.mjs', ok: true, allowFailure: false, durationMs: 5, stderrTail: '' }],
  reports: [{ type: 'metric', metric: 'accuracy', value: 0.9 }],
  protocolErrors: [],
};

describe('verdictOf', () => {
  it('scores exactly one metric report from a scorer that exited cleanly', () => {
    expect(verdictOf(clean)).toEqual({ ok: true, value: 0.9 });
  });

  it("puts the candidate's failure first: a crashed candidate fails the evaluation even when the scorer reports a metric", () => {
    const crashed = { ...clean, candidateRuns: [{ ...clean.candidateRuns[0]!, ok: false, failure: 'crash' as const, detail: 'exited with code 3' }] };
    expect(verdictOf(crashed)).toMatchObject({ ok: false, kind: 'crash', detail: expect.stringContaining('candidate run 1 (node predict.mjs) failed (crash)') });
    expect(verdictOf({ ...crashed, candidateRuns: [{ ...crashed.candidateRuns[0]!, failure: 'output-cap' }] })).toMatchObject({ kind: 'malformed-output' });
    expect(verdictOf({ ...crashed, candidateRuns: [{ ...crashed.candidateRuns[0]!, failure: 'timeout' }] })).toMatchObject({ kind: 'timeout' });
  });

  it('lets the scorer score a failed run it asked to tolerate', () => {
    const tolerated = { ...clean, candidateRuns: [{ ...clean.candidateRuns[0]!, ok: false, failure: 'crash' as const, allowFailure: true }] };
    expect(verdictOf(tolerated)).toEqual({ ok: true, value: 0.9 });
  });

  it('fails on two reports, a protocol error, a crashed scorer, no report, or another metric', () => {
    expect(verdictOf({ ...clean, reports: [clean.reports[0]!, clean.reports[0]!] })).toMatchObject({ kind: 'scorer-error' });
    expect(verdictOf({ ...clean, protocolErrors: ['not JSON'] })).toMatchObject({ kind: 'scorer-error' });
    expect(verdictOf({ ...clean, exit: { ...clean.exit, code: 1 } })).toMatchObject({ kind: 'scorer-error' });
    expect(verdictOf({ ...clean, reports: [] })).toMatchObject({ kind: 'no-metric' });
    expect(verdictOf({ ...clean, reports: [{ type: 'metric', metric: 'loss', value: 0.1 }] })).toMatchObject({ kind: 'no-metric' });
    expect(verdictOf({ ...clean, reports: [{ type: 'reject-output', detail: 'not JSON' }] })).toMatchObject({ kind: 'malformed-output' });
    expect(verdictOf({ ...clean, exit: { ...clean.exit, timedOut: true } })).toMatchObject({ kind: 'timeout' });
  });
});

describe('parseScorerLine', () => {
  it('accepts the protocol and refuses anything else with a reason', () => {
    expect(parseScorerLine('{"type":"metric","metric":"accuracy","value":0.5}')).toEqual({ ok: true, message: { type: 'metric', metric: 'accuracy', value: 0.5 } });
    expect(parseScorerLine('{"type":"metric","metric":"accuracy","value":1e999}')).toMatchObject({ ok: false, reason: expect.stringContaining('value') });
    expect(parseScorerLine('{"type":"metric","metric":"accuracy","value":"1"}')).toMatchObject({ ok: false });
    expect(parseScorerLine('{"type":"run","id":1,"command":"node","args":[],"input":"","extra":true}')).toMatchObject({ ok: false });
    expect(parseScorerLine('accuracy: 1')).toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') });
  });
});
