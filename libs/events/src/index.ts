export * from './common.js';
export * from './metadata.js';
export * from './catalogue.js';
export * from './trust.js';
export * from './ids.js';
export * from './codec.js';
export * from './issues.js';
export * from './drafts.js';
