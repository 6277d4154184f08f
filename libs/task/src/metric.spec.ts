import { parseMetric } from './metric.js';

describe('parseMetric', () => {
  it('reads the last JSON line naming the objective metric', () => {
    const out = 'epoch 1\n{"metric":"accuracy","value":0.5}\nnoise {x}\n{"metric":"accuracy","value":0.91}\n';
    expect(parseMetric(out, 'accuracy')).toEqual({ ok: true, value: 0.91 });
  });

  it('is a no-metric reading with the output tail when the line is missing', () => {
    const reading = parseMetric('training...\naccuracy: 0.9\n', 'accuracy');
    expect(reading.ok).toBe(false);
    if (reading.ok) return;
    expect(reading.reason).toContain('{"metric":"accuracy","value":<number>}');
    expect(reading.tail).toBe('training...\naccuracy: 0.9\n');
  });

  it('names the metrics it saw when the name differs, and rejects non-numeric values', () => {
    const wrong = parseMetric('{"metric":"loss","value":1.2}', 'accuracy');
    expect(wrong.ok === false && wrong.reason).toContain('saw metric lines for: loss');
    const nan = parseMetric('{"metric":"accuracy","value":"high"}', 'accuracy');
    expect(nan.ok === false && nan.reason).toContain('non-finite or missing value');
  });

  it('keeps only the tail of long output', () => {
    const reading = parseMetric('x'.repeat(10_000), 'accuracy');
    expect(reading.ok === false && reading.tail.length).toBe(2001);
  });
});
