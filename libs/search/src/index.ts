export { decide } from './decide.js';
export { advance, complete, inFlight } from './advance.js';
export { refusal, rehearse } from './rehearse.js';
export { searchSettings } from './settings.js';
export { searchStarted, configFromStarted, taskChanges, type SearchOrigin } from './started.js';
export { parseSearchConfig, SearchConfigSchema, GATE_SHARE, type SearchConfig, type SearchConfigInput } from './config.js';
export { resultEvent } from './result-event.js';
export { insightEvents, type InsightEventOptions } from './insight-events.js';
export type * from './model.js';
