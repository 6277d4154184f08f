// Gate/test scorer: accuracy on birds.json of the sealed data bound into this scorer's sandbox only.
import { score } from './score.mjs';

await score('birds.json');
