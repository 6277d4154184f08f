import { decodeEvent, encodeEvent, EventValidationError, type Upcaster } from './codec.js';
import { deterministicEventId, searchStreamName } from './ids.js';
import type { SearchEvent } from './catalogue.js';

const context = { searchId: 's1', causationId: 'cmd-1', actor: { service: 'coordinator', instance: 'c-1' }, now: new Date('2026-01-01T00:00:00Z') };

const gate: SearchEvent = {
  type: 'GateEvaluated',
  data: { nodeId: '1.2', commit: 'abc123', runs: [{ seed: 1, value: 0.8 }], gateEvaluationsUsed: 3 },
};

function stored(event: { type: string; data: unknown; metadata: Record<string, unknown> }, revision = 7) {
  return { streamId: searchStreamName('s1'), revision, id: 'e-1', ...event };
}

describe('event codec', () => {
  it('writes metadata with correlation, causation, actor, schema version and time', () => {
    const encoded = encodeEvent(gate, context, 'fixed-id');
    expect(encoded).toEqual({
      id: 'fixed-id',
      type: 'GateEvaluated',
      data: gate.data,
      metadata: {
        $correlationId: 's1',
        $causationId: 'cmd-1',
        actor: { service: 'coordinator', instance: 'c-1' },
        schemaVersion: 1,
        at: '2026-01-01T00:00:00.000Z',
      },
    });
  });

  it('round-trips an event through encode and decode', () => {
    const decoded = decodeEvent(stored(encodeEvent(gate, context)));
    expect(decoded.type).toBe('GateEvaluated');
    expect(decoded.data).toEqual(gate.data);
    expect(decoded.revision).toBe(7);
  });

  it('refuses to write invalid data, naming every bad field', () => {
    const bad = { type: 'GateEvaluated', data: { nodeId: '1..2', commit: '', runs: [], gateEvaluationsUsed: 0 } } as unknown as SearchEvent;
    expect(() => encodeEvent(bad, context)).toThrow(EventValidationError);
    try {
      encodeEvent(bad, context);
    } catch (error) {
      const problems = (error as EventValidationError).problems.join('\n');
      expect(problems).toMatch(/data\.nodeId/);
      expect(problems).toMatch(/data\.commit/);
      expect(problems).toMatch(/data\.runs/);
      expect(problems).toMatch(/data\.gateEvaluationsUsed/);
    }
  });

  it('reports a malformed stored event with its stream, revision and field', () => {
    const encoded = encodeEvent(gate, context);
    const corrupt = stored({ ...encoded, data: { ...gate.data, runs: [{ seed: 1, value: 'high' }] } }, 12);
    expect(() => decodeEvent(corrupt)).toThrow(/search-s1@12 \(GateEvaluated\): data\.runs\.0\.value/);
  });

  it('reports an unknown event type and bad metadata instead of skipping them', () => {
    const encoded = encodeEvent(gate, context);
    expect(() => decodeEvent(stored({ ...encoded, type: 'Mystery' }))).toThrow(/search-s1@7 \(Mystery\): type/);
    expect(() => decodeEvent(stored({ ...encoded, metadata: { ...encoded.metadata, $correlationId: '' } }))).toThrow(
      /metadata\.\$correlationId/,
    );
  });

  it('upcasts an old schema version before validating', () => {
    // Version 1 of GateEvaluated had one `score` instead of per-run scores.
    const upcasters: Upcaster[] = [
      {
        type: 'GateEvaluated',
        fromVersion: 1,
        upcast: (data) => {
          const { score, ...rest } = data as { score: number };
          return { ...rest, runs: [{ seed: 0, value: score }] };
        },
      },
    ];
    const old = stored({
      type: 'GateEvaluated',
      data: { nodeId: '1', commit: 'abc', score: 0.5, gateEvaluationsUsed: 1 },
      metadata: { ...encodeEvent(gate, context).metadata, schemaVersion: 1 },
    });
    const decoded = decodeEvent(old, { upcasters, versions: { GateEvaluated: 2 } });
    expect(decoded.data).toEqual({ nodeId: '1', commit: 'abc', runs: [{ seed: 0, value: 0.5 }], gateEvaluationsUsed: 1 });
    expect(decoded.metadata.schemaVersion).toBe(2);
    expect(() => decodeEvent(old, { upcasters: [], versions: { GateEvaluated: 2 } })).toThrow(/no upcaster from version 1/);
  });

  it('refuses an event written by a newer schema', () => {
    const encoded = encodeEvent(gate, context);
    expect(() => decodeEvent(stored({ ...encoded, metadata: { ...encoded.metadata, schemaVersion: 9 } }))).toThrow(/upgrade hypotree/);
  });
});

describe('deterministic event ids', () => {
  it('give the same id for the same key and different ids for different keys', () => {
    expect(deterministicEventId('s1', 'exp-1', 'succeeded')).toBe(deterministicEventId('s1', 'exp-1', 'succeeded'));
    expect(deterministicEventId('s1', 'exp-1', 'succeeded')).not.toBe(deterministicEventId('s1', 'exp-1', 'failed'));
    expect(deterministicEventId('s1', 'exp-1')).not.toBe(deterministicEventId('s2', 'exp-1'));
    expect(deterministicEventId('s1', 'x')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
