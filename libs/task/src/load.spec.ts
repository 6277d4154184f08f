import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine, loadTask } from './load.js';
import { TaskSpecError } from './errors.js';
import { specHash } from './hash.js';
import { activeParameters } from './space.js';
import type { Parameter } from './schema.js';

let root: string;

function spec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'toy',
    repo: 'artifact',
    allowedPaths: ['config.json', 'src/**'],
    evaluators: {
      dev: { command: 'node', args: ['{task}/eval.mjs'] },
      gate: { command: 'node', args: ['{task}/eval.mjs'], sealedData: 'sealed/gate' },
      test: { command: 'node', args: ['{task}/eval.mjs'], sealedData: 'sealed/test' },
    },
    objective: { metric: 'accuracy', direction: 'maximize' },
    parameters: { file: 'config.json', space: [{ name: 'lr', type: 'float', min: 0.001, max: 1, log: true, default: 0.1 }] },
    ...overrides,
  };
}

function write(content: unknown): string {
  const file = path.join(root, 'hypotree.task.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'hypotree-task-'));
  for (const dir of ['artifact', 'sealed/gate', 'sealed/test']) mkdirSync(path.join(root, dir), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('loadTask', () => {
  it('loads a valid spec, fills defaults and resolves paths against the spec file', () => {
    const task = loadTask(write(spec()));
    expect(task.repo).toBe(path.join(root, 'artifact'));
    expect(task.sealed.gate).toBe(path.join(root, 'sealed/gate'));
    expect(task.spec.budgets).toEqual({ experimentTimeoutSec: 600, outputCapBytes: 1_000_000, repeats: 1, memoryMb: 4096, processes: 512, scratchMb: 512 });
    expect(task.spec.evaluators.dev.timeoutSec).toBe(60);
    expect(commandLine(task, task.spec.evaluators.dev)).toEqual(['node', [`${root}/eval.mjs`]]);
  });

  it('accepts a task folder instead of the spec file', () => {
    write(spec());
    expect(loadTask(root).spec.name).toBe('toy');
  });

  it('reports every bad field in one error, each with the file name', () => {
    const file = write(
      spec({
        name: 'Bad Name',
        objective: { metric: 'accuracy', direction: 'up' },
        budgets: { repeats: 0 },
        extra: true,
      }),
    );
    let error: unknown;
    try {
      loadTask(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TaskSpecError);
    const paths = (error as TaskSpecError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['', 'budgets.repeats', 'name', 'objective.direction']);
    for (const line of (error as Error).message.split('\n').slice(1)) expect(line).toContain(`${file}: `);
  });

  it('refuses sealed data inside the artifact repo and overlapping gate/test data', () => {
    mkdirSync(path.join(root, 'artifact/secret'));
    const file = write(
      spec({
        evaluators: {
          dev: { command: 'node' },
          gate: { command: 'node', sealedData: 'artifact/secret' },
          test: { command: 'node', sealedData: 'artifact' },
        },
      }),
    );
    expect(() => loadTask(file)).toThrow(`${file}: evaluators.gate.sealedData: must be outside the artifact repo`);
    expect(() => loadTask(file)).toThrow('evaluators.test.sealedData: must be outside the artifact repo');
    expect(() => loadTask(file)).toThrow('evaluators.test.sealedData: must not overlap the gate sealed data');
  });

  it('checks paths and the parameter space for consistency', () => {
    const file = write(
      spec({
        allowedPaths: ['../elsewhere', '.git/config'],
        parameters: {
          file: 'params.json',
          space: [
            { name: 'lr', type: 'float', min: 0, max: 1, log: true, default: 0.1 },
            { name: 'lr', type: 'int', min: 5, max: 1, default: 3 },
            { name: 'act', type: 'choice', choices: ['tanh', 'relu'], default: 'gelu' },
          ],
        },
      }),
    );
    const issues = (() => {
      try {
        loadTask(file);
        return [];
      } catch (err) {
        return (err as TaskSpecError).issues;
      }
    })();
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'allowedPaths.0', message: "must not contain '..'" },
        { path: 'allowedPaths.1', message: "must not point into '.git'" },
        { path: 'parameters.file', message: 'must be inside allowedPaths' },
        { path: 'parameters.space.0.min', message: 'must be > 0 on a log scale' },
        { path: 'parameters.space.1.name', message: "duplicate parameter 'lr'" },
        { path: 'parameters.space.1.max', message: 'must be greater than min (5)' },
        { path: 'parameters.space.2.default', message: 'must be one of "tanh", "relu", got "gelu"' },
      ]),
    );
    expect(issues).toHaveLength(7);
  });

  it('checks conditional parameters: a condition names an earlier choice or bool and values it can take', () => {
    const file = write(
      spec({
        parameters: {
          file: 'config.json',
          space: [
            { name: 'perturbation', type: 'choice', choices: ['none', 'kick'], default: 'none' },
            { name: 'lr', type: 'float', min: 0.001, max: 1, default: 0.1 },
            { name: 'kicks', type: 'int', min: 1, max: 9, default: 3, when: { perturbation: ['kick', 'shake'] } },
            { name: 'size', type: 'int', min: 1, max: 9, default: 3, when: { lr: [0.1] } },
            { name: 'early', type: 'int', min: 1, max: 9, default: 3, when: { late: [true] } },
            { name: 'ghost', type: 'int', min: 1, max: 9, default: 3, when: { nothing: ['x'] } },
            { name: 'loop', type: 'choice', choices: ['a', 'b'], default: 'a', when: { loop: ['a'] } },
            { name: 'late', type: 'bool', default: false },
          ],
        },
      }),
    );
    let issues: readonly { path: string; message: string }[] = [];
    try {
      loadTask(file);
    } catch (err) {
      issues = (err as TaskSpecError).issues;
    }
    expect(issues).toEqual([
      { path: 'parameters.space.2.when.perturbation.1', message: 'must be one of "none", "kick", got "shake"' },
      { path: 'parameters.space.3.when.lr', message: "'lr' is a float: a condition names a choice or a bool" },
      { path: 'parameters.space.4.when.late', message: "'late' must be declared before 'early', which depends on it" },
      { path: 'parameters.space.5.when.nothing', message: "no parameter 'nothing' is declared" },
      { path: 'parameters.space.6.when.loop', message: "'loop' cannot depend on itself" },
    ]);
    expect(() => loadTask(file)).toThrow(`${file}: parameters.space.2.when.perturbation.1`);
  });

  it('takes a conditional parameter to be active only where its conditions hold, nested ones included', () => {
    const space: Parameter[] = [
      { name: 'local', type: 'choice', choices: ['none', 'opt'], default: 'opt' },
      { name: 'perturbation', type: 'choice', choices: ['none', 'kick'], default: 'none', when: { local: ['opt'] } },
      { name: 'kicks', type: 'int', min: 1, max: 9, log: false, default: 3, when: { perturbation: ['kick'] } },
    ];
    expect([...activeParameters(space, { local: 'opt', perturbation: 'kick', kicks: 3 })]).toEqual(['local', 'perturbation', 'kicks']);
    expect([...activeParameters(space, { local: 'opt', perturbation: 'none', kicks: 3 })]).toEqual(['local', 'perturbation']);
    // kicks holds its condition's value, but perturbation itself is inactive without a local search.
    expect([...activeParameters(space, { local: 'none', perturbation: 'kick', kicks: 3 })]).toEqual(['local']);
  });

  it('names the file when it is missing or not JSON', () => {
    expect(() => loadTask(path.join(root, 'nope.json'))).toThrow(/nope\.json: \(root\): cannot read the spec file/);
    writeFileSync(path.join(root, 'broken.json'), '{ nope');
    expect(() => loadTask(path.join(root, 'broken.json'))).toThrow(/broken\.json: \(root\): not valid JSON/);
  });
});

describe('specHash', () => {
  it('is stable under key order and changes with content', () => {
    const a = loadTask(write(spec()));
    const reordered = Object.fromEntries(Object.entries(spec()).reverse());
    const b = loadTask(write(reordered));
    expect(b.hash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(specHash({ ...a.spec, name: 'other' })).not.toBe(a.hash);
  });
});

describe('dev data and setup', () => {
  it('resolves declared dev data, and refuses dev data that overlaps sealed data or a setup that names the task folder', () => {
    mkdirSync(path.join(root, 'artifact/data'), { recursive: true });
    const evaluators = spec().evaluators as Record<string, Record<string, unknown>>;
    const ok = loadTask(write(spec({ evaluators: { ...evaluators, dev: { ...evaluators.dev, data: 'artifact/data' } } })));
    expect(ok.devData).toBe(path.join(root, 'artifact/data'));
    const bad = () =>
      loadTask(write(spec({ evaluators: { ...evaluators, dev: { ...evaluators.dev, data: 'sealed/gate' } }, setup: { command: 'node', args: ['{task}/setup.mjs'] } })));
    expect(bad).toThrow(/evaluators\.dev\.data: must not overlap sealed data/);
    expect(bad).toThrow(/setup: must not use \{task\}/);
  });
});

describe('evaluatorHash', () => {
  it('changes with a scorer file and not with the artifact, the sealed data or hypotree\'s workdir', () => {
    writeFileSync(path.join(root, 'eval.mjs'), 'score v1');
    const first = loadTask(write(spec())).evaluatorHash;
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(path.join(root, 'artifact/config.json'), '{"lr": 0.5}');
    writeFileSync(path.join(root, 'sealed/gate/labels.json'), '[1, 0]');
    mkdirSync(path.join(root, '.hypotree'));
    writeFileSync(path.join(root, '.hypotree/events.db'), 'log');
    expect(loadTask(write(spec())).evaluatorHash).toBe(first);
    writeFileSync(path.join(root, 'eval.mjs'), 'score v2');
    expect(loadTask(write(spec())).evaluatorHash).not.toBe(first);
  });
});
