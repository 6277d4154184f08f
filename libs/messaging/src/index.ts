export * from './contracts.js';
export { InProcessBus, type BusHandler } from './in-process/bus.js';
export { InProcessServer } from './in-process/server.js';
export { InProcessClient } from './in-process/client.js';
