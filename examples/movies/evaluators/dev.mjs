// Dev scorer: the rmse on the artifact's dev.json (the task's copy, not the candidate's).
import { score } from './score.mjs';

await score('dev.json');
