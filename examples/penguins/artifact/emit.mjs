// The candidate's entry point, run by the task's scorer in a sandbox that holds only this folder:
// reads {"seed": n} on stdin and writes {"rows": [[beakLength, beakDepth, flipperLength, bodyMass,
// species 0|1|2], ...]} — a synthetic training set made by synth.mjs with config.json — on stdout.
import { readFileSync } from 'node:fs';
import { synthesise } from './synth.mjs';

const request = JSON.parse(readFileSync(0, 'utf8'));
const config = JSON.parse(readFileSync('config.json', 'utf8'));
const rows = synthesise(config, request.seed);
console.error(`synthesised ${rows.length} rows with seed ${request.seed}: ${JSON.stringify(config)}`);
process.stdout.write(JSON.stringify({ rows }));
