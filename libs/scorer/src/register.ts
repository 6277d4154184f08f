// Loaded with `node --import` when a scorer runs without a sandbox: lets `import '@hypotree/scorer'`
// resolve from a task folder anywhere on disk (inside a sandbox the library is bound where Node finds it).
import { register } from 'node:module';

register('./resolve-hook.js', import.meta.url);
