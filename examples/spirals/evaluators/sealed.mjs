// Gate/test evaluator: accuracy on points.json in the sealed folder named by HYPOTREE_SEALED_DATA.
import path from 'node:path';
import { score } from './score.mjs';

const sealed = process.env.HYPOTREE_SEALED_DATA;
if (!sealed) {
  console.error('HYPOTREE_SEALED_DATA is not set: this evaluator must be run by hypotree as gate or test');
  process.exit(2);
}
await score(path.join(sealed, 'points.json'));
