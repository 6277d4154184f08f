import { EventScript } from '@hypotree/tree/testing';
import { fold } from '@hypotree/tree';
import { changedParams, configKey, decode, effectiveParams, encode } from './space.js';
import { conditionalSpace, demoSpace } from './task.fixture.js';

describe('effectiveParams', () => {
  it('is the declared defaults plus the params changes along the lineage, the nearest change winning', () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.5]);
    s.propose('1', '0', { lr: 0.01, width: 16 });
    s.propose('1.1', '1', { lr: 0.03 });
    s.propose('2', '0', { activation: 'relu' });
    const tree = fold(s.events);
    expect(effectiveParams(tree, '1.1', demoSpace)).toEqual({ lr: 0.03, width: 16, dropout: 0.6, momentum: 0.5, activation: 'sigmoid', batchnorm: false });
    expect(effectiveParams(tree, '2', demoSpace)).toMatchObject({ lr: 0.001, activation: 'relu' });
    expect(effectiveParams(tree, '0', demoSpace)).toEqual({ lr: 0.001, width: 8, dropout: 0.6, momentum: 0.5, activation: 'sigmoid', batchnorm: false });
  });
});

describe('encode / decode', () => {
  it('maps a log-scale range to [0, 1] geometrically and rounds decoded values to legal ones', () => {
    const [lr, width] = demoSpace as [Extract<(typeof demoSpace)[number], { type: 'float' }>, Extract<(typeof demoSpace)[number], { type: 'int' }>];
    expect(encode(lr, 0.01)).toBeCloseTo(0.5);
    expect(decode(lr, 0.5)).toBe(0.01);
    expect(decode(width, 0.5)).toBe(32);
    expect(decode(width, 2)).toBe(512);
  });
});

describe('conditional parameters', () => {
  const base = { lr: 0.001, perturbation: 'none', kicks: 50, kickSize: 4 };

  it('give configurations that differ only where a parameter is inactive one key: the same experiment', () => {
    expect(configKey({ ...base, kicks: 7, kickSize: 20 }, conditionalSpace)).toBe(configKey(base, conditionalSpace));
    expect(configKey({ ...base, perturbation: 'kick', kicks: 7 }, conditionalSpace)).not.toBe(configKey({ ...base, perturbation: 'kick' }, conditionalSpace));
    expect(configKey({ ...base, lr: 0.01 }, conditionalSpace)).not.toBe(configKey(base, conditionalSpace));
  });

  it('leave a change to an inactive parameter out of what a proposal sets', () => {
    expect(changedParams(conditionalSpace, { ...base, lr: 0.01, kicks: 7 }, base)).toEqual({ lr: 0.01 });
    expect(changedParams(conditionalSpace, { ...base, perturbation: 'kick', kicks: 7 }, base)).toEqual({ perturbation: 'kick', kicks: 7 });
  });
});
