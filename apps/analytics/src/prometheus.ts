import type { SearchMetrics } from './metrics.js';

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: (m: SearchMetrics) => { labels?: Record<string, string>; value: number }[];
}

const one = (value: number | undefined) => (value === undefined ? [] : [{ value }]);

const families: Family[] = [
  { name: 'hypotree_experiments_total', type: 'counter', help: 'Experiments with an outcome (succeeded or failed, lease expiries excluded).', samples: (m) => one(m.experiments) },
  {
    name: 'hypotree_experiment_failures_total',
    type: 'counter',
    help: 'Failed experiment attempts by kind.',
    samples: (m) => Object.entries(m.failures).map(([kind, value]) => ({ labels: { kind }, value: value ?? 0 })),
  },
  { name: 'hypotree_admitted_total', type: 'counter', help: 'Hypotheses admitted.', samples: (m) => one(m.admitted) },
  { name: 'hypotree_rejected_total', type: 'counter', help: 'Hypotheses rejected.', samples: (m) => one(m.rejected) },
  { name: 'hypotree_gate_evaluations_total', type: 'counter', help: 'Gate evaluations spent (scored or failed).', samples: (m) => one(m.gateEvaluations) },
  { name: 'hypotree_insights_total', type: 'counter', help: 'Insights distilled.', samples: (m) => one(m.insights) },
  { name: 'hypotree_tokens_total', type: 'counter', help: 'Model tokens spent (proposer, implementer, distiller).', samples: (m) => one(m.tokens) },
  { name: 'hypotree_best_dev', type: 'gauge', help: 'Dev score of the best admitted node, oriented so larger is better.', samples: (m) => one(m.best?.dev) },
  { name: 'hypotree_relative_gain', type: 'gauge', help: 'Held-out relative gain of the best node over the baseline, once tested.', samples: (m) => one(m.relativeGain) },
  { name: 'hypotree_search_revision', type: 'gauge', help: "Revision of the last event applied from the search's stream.", samples: (m) => one(m.revision) },
  { name: 'hypotree_search_errors', type: 'gauge', help: '1 when the search has an unreadable event (see /api/searches).', samples: (m) => one(m.error ? 1 : 0) },
];

const escape = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

/** The metrics of every search in the Prometheus text exposition format (version 0.0.4). */
export function prometheusText(searches: SearchMetrics[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const m of searches) {
      for (const sample of family.samples(m)) {
        const labels = Object.entries({ search: m.searchId, ...sample.labels })
          .map(([k, v]) => `${k}="${escape(v)}"`)
          .join(',');
        lines.push(`${family.name}{${labels}} ${sample.value}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
