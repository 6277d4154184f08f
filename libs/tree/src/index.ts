export * from './model.js';
export * from './stats.js';
export * from './evolve.js';
export * from './queries.js';
export * from './render.js';
export * from './explain.js';
export * from './view.js';
