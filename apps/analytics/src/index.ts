export { evolve, emptyProjection, markError, searchIdOf, type SearchMetrics, type SearchProjection, type MetricsLookup } from './metrics.js';
export { AnalyticsService, type AnalyticsOptions, type MetricsListener } from './analytics.service.js';
export { AnalyticsModule } from './analytics.module.js';
export { AnalyticsConfigSchema, parseAnalyticsConfig, type AnalyticsConfig } from './config.js';
export { loadState, saveState, type AnalyticsState } from './state-file.js';
export { prometheusText } from './prometheus.js';
export { serveAnalytics, type AnalyticsHttp } from './http.js';
export { startAnalytics, type RunningAnalytics } from './service.js';
export { runAnalyticsService, type AnalyticsFlags } from './main.js';
