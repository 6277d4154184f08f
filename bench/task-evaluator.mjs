// A bundled task's runs measured in this process: its `evaluate(config, split, seed)` → metric, the
// code paths its scorers and candidate run, from the task folder's own `headroom.mjs`, else
// `bench/headroom/<name>.mjs`. Shared by bench/headroom.mjs and bench/ao.mjs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function taskEvaluator(taskDir, name) {
  const own = path.resolve(taskDir, 'headroom.mjs');
  const { evaluate } = await import(pathToFileURL(existsSync(own) ? own : path.resolve('bench/headroom', `${name}.mjs`)).href);
  return evaluate;
}
