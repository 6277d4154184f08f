import { outOfSpace, type ParameterValue } from '@hypotree/task';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ImplementationFailed, writeWorktreeFile, type Implementation, type ImplementationContext, type Implementer } from '../implementer.js';

/** Applies a `params` change to the task's declared JSON parameter file, checking every value against the space. */
export class ParamsImplementer implements Implementer {
  readonly name = 'params';

  async implement({ worktree, hypothesis, task }: ImplementationContext): Promise<Implementation> {
    const { change } = hypothesis;
    const declared = task.spec.parameters;
    if (change.kind !== 'params') throw new ImplementationFailed(`the params implementer needs a 'params' change, got '${change.kind}'`);
    if (declared === undefined) throw new ImplementationFailed(`task ${task.spec.name} declares no parameters (${task.specPath}: parameters)`);
    const problems: string[] = [];
    for (const [name, value] of Object.entries(change.set)) {
      const parameter = declared.space.find((p) => p.name === name);
      const bad = parameter === undefined ? `is not a declared parameter (declared: ${declared.space.map((p) => p.name).join(', ')})` : outOfSpace(parameter, value);
      if (bad !== undefined) problems.push(`${name} ${bad}`);
    }
    if (problems.length > 0) throw new ImplementationFailed(`parameter change outside the declared space: ${problems.join('; ')}`);
    const file = path.join(worktree, declared.file);
    let current: Record<string, ParameterValue>;
    try {
      current = JSON.parse(await readFile(file, 'utf8')) as Record<string, ParameterValue>;
    } catch (err) {
      throw new ImplementationFailed(`cannot read parameter file ${declared.file}: ${(err as Error).message}`);
    }
    const next = { ...current, ...change.set };
    await writeWorktreeFile(worktree, declared.file, `${JSON.stringify(next, null, 2)}\n`);
    const changed = Object.entries(change.set).filter(([k, v]) => current[k] !== v);
    const summary =
      changed.length === 0
        ? `no parameter changed in ${declared.file}`
        : `set ${changed.map(([k, v]) => `${k}: ${JSON.stringify(current[k])} → ${JSON.stringify(v)}`).join(', ')} in ${declared.file}`;
    return { summary, attempts: 1 };
  }
}
