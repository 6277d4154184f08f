// Gate/test scorer: the rmse on films.json of the sealed data bound into this scorer's sandbox only.
import { score } from './score.mjs';

await score('films.json');
