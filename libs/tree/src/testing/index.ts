export { EventScript, scriptAdmission } from './script.js';
