import { tree } from './index.js';
test('works', () => { expect(tree()).toBe('events-tree'); });
