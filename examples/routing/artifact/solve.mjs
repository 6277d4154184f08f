// The candidate's entry point, run by the task's scorer in a sandbox that holds only this folder:
// reads {"seed": n, "instances": [{"cities": [[x, y], ...]}, ...]} on stdin, routes each with
// tour.mjs and config.json, and writes {"tours": [[city, city, ...], ...]} on stdout.
import { readFileSync } from 'node:fs';
import { tour } from './tour.mjs';

const request = JSON.parse(readFileSync(0, 'utf8'));
const config = JSON.parse(readFileSync('config.json', 'utf8'));
const started = Date.now();
const tours = request.instances.map((instance) => tour(config, instance.cities, request.seed));
console.error(`routed ${tours.length} instances in ${Date.now() - started} ms with seed ${request.seed}: ${JSON.stringify(config)}`);
process.stdout.write(JSON.stringify({ tours }));
