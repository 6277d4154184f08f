import { isAllowedPath, unsafeRelativePath } from './paths.js';

describe('isAllowedPath', () => {
  const allowed = ['config.json', 'src', 'models/*.mjs', 'lib/**/*.ts', './notes/'];
  it.each([
    ['config.json', true],
    ['src/a/b.mjs', true],
    ['models/net.mjs', true],
    ['models/deep/net.mjs', false],
    ['lib/x.ts', true],
    ['lib/a/b/x.ts', true],
    ['lib/a/x.js', false],
    ['notes/today.md', true],
    ['config.json.bak', false],
    ['srcx/a.mjs', false],
    ['evaluate.mjs', false],
    ['src/../evaluate.mjs', false],
    ['src/.git/config', false],
  ])('%s → %s', (file, expected) => {
    expect(isAllowedPath(file, allowed)).toBe(expected);
  });

  it('explains unsafe paths', () => {
    expect(unsafeRelativePath('/etc/passwd')).toBe('must be relative to the repo root');
    expect(unsafeRelativePath('a/../../b')).toBe("must not contain '..'");
    expect(unsafeRelativePath('ok/file')).toBeUndefined();
  });
});
