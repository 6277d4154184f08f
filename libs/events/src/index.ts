export * from './common.js';
export * from './metadata.js';
export * from './catalogue.js';
export * from './trust.js';
export * from './ids.js';
export * from './codec.js';
