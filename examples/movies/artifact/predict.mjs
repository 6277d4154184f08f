// The candidate's entry point, run by the task's scorer in a sandbox that holds only this folder:
// reads {"seed": n, "films": [[usGross, ..., creativeType], ...]} on stdin, trains model.mjs with
// config.json on data/train.json, and writes {"predictions": [rating, ...]} on stdout.
import { readFileSync } from 'node:fs';
import { train } from './model.mjs';

const request = JSON.parse(readFileSync(0, 'utf8'));
const config = JSON.parse(readFileSync('config.json', 'utf8'));
const rows = JSON.parse(readFileSync('data/train.json', 'utf8')).rows;
const started = Date.now();
const predict = train(config, rows, request.seed);
const predictions = request.films.map((film) => Number(predict(film)));
console.error(`trained in ${Date.now() - started} ms with seed ${request.seed}: ${JSON.stringify(config)}`);
process.stdout.write(JSON.stringify({ predictions }));
