export * from './random.js';
export * from './decision.js';
export * from './budget.js';
export * from './selection.js';
export * from './admission.js';
export * from './refinement.js';
export * from './registry.js';
export * from './replay.js';
