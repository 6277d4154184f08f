// Dev evaluator: accuracy on data/dev.json inside the artifact.
import path from 'node:path';
import { score } from './score.mjs';

await score(path.join(process.cwd(), 'data/dev.json'));
