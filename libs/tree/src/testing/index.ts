export { EventScript } from './script.js';
