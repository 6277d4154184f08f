// Dev scorer: accuracy on the task's dev birds (real; never shown to the candidate).
import { score } from './score.mjs';

await score('birds.json');
