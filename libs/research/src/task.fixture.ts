import { TaskSpecSchema, type Parameter, type Task } from '@hypotree/task';

/** A loaded-looking task over a declared space, for specs (no files behind it). */
export function taskWith(space: Parameter[], objective: Task['spec']['objective'] = { metric: 'accuracy', direction: 'maximize' }): Task {
  const evaluator = { command: 'node', args: ['eval.mjs'] };
  const spec = TaskSpecSchema.parse({
    name: 'demo',
    description: 'A demo task: tune a small model to maximise accuracy.',
    repo: 'artifact',
    allowedPaths: ['config.json'],
    evaluators: { dev: evaluator, gate: { ...evaluator, sealedData: 'sealed/gate' }, test: { ...evaluator, sealedData: 'sealed/test' } },
    objective,
    parameters: { file: 'config.json', space },
  });
  return { spec, specPath: '/demo/hypotree.task.json', dir: '/demo', repo: '/demo/artifact', sealed: { gate: '/demo/sealed/gate', test: '/demo/sealed/test' }, hash: 'h', evaluatorHash: 'e' };
}

/** A small space with every parameter kind: log and linear floats, a log int, a choice and a bool. */
export const demoSpace: Parameter[] = [
  { name: 'lr', type: 'float', min: 0.0001, max: 1, log: true, default: 0.001 },
  { name: 'width', type: 'int', min: 2, max: 512, log: true, default: 8 },
  { name: 'dropout', type: 'float', min: 0, max: 0.8, log: false, default: 0.6 },
  { name: 'momentum', type: 'float', min: 0, max: 0.99, log: false, default: 0.5 },
  { name: 'activation', type: 'choice', choices: ['sigmoid', 'tanh', 'relu'], default: 'sigmoid' },
  { name: 'batchnorm', type: 'bool', default: false },
];

/**
 * A space with conditional parameters: `kicks` and `kickSize` take effect only with a perturbation,
 * as in examples/routing; by default there is none, so at the root they are inert.
 */
export const conditionalSpace: Parameter[] = [
  { name: 'lr', type: 'float', min: 0.0001, max: 1, log: true, default: 0.001 },
  { name: 'perturbation', type: 'choice', choices: ['none', 'kick'], default: 'none' },
  { name: 'kicks', type: 'int', min: 1, max: 300, log: true, default: 50, when: { perturbation: ['kick'] } },
  { name: 'kickSize', type: 'int', min: 1, max: 30, log: true, default: 4, when: { perturbation: ['kick'] } },
];
