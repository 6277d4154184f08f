// Dev scorer: the mean tour length on the task's dev instances.
import { score } from './score.mjs';

await score('instances.json');
