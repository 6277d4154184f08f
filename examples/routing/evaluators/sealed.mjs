// Gate/test scorer: the mean tour length on instances.json of the sealed data bound into this scorer's sandbox only.
import { score } from './score.mjs';

await score('instances.json');
