/**
 * The metric contract. An evaluator prints its result on stdout as one JSON line
 * `{"metric":"<objective metric>","value":<finite number>}`; other output is free.
 * When several such lines name the metric, the last one counts. Anything else is a
 * `no-metric` failure that carries the tail of the output so a reader can see why.
 */
export type MetricReading =
  | { ok: true; value: number }
  | { ok: false; reason: string; tail: string };

/** Default number of characters of output kept as the tail of a failure. */
export const TAIL_CHARS = 2000;

/** Last `chars` characters of `text`, prefixed by an ellipsis when cut. */
export function tail(text: string, chars = TAIL_CHARS): string {
  return text.length <= chars ? text : `…${text.slice(text.length - chars)}`;
}

/** Reads the objective metric from an evaluator's stdout according to the metric contract. */
export function parseMetric(stdout: string, metric: string): MetricReading {
  const seen: string[] = [];
  const lines = stdout.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{') || !line.endsWith('}')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || !('metric' in parsed)) continue;
    const record = parsed as { metric: unknown; value?: unknown };
    if (record.metric !== metric) {
      seen.push(String(record.metric));
      continue;
    }
    if (typeof record.value === 'number' && Number.isFinite(record.value)) return { ok: true, value: record.value };
    return { ok: false, reason: `metric line for '${metric}' has a non-finite or missing value: ${line}`, tail: tail(stdout) };
  }
  const hint = seen.length > 0 ? ` (saw metric lines for: ${[...new Set(seen)].join(', ')})` : '';
  return {
    ok: false,
    reason: `no line {"metric":"${metric}","value":<number>} on stdout${hint}; the evaluator must print its result as one JSON line`,
    tail: tail(stdout),
  };
}
