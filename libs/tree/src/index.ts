import { hello } from '@hypotree/events';
export const tree = (): string => hello() + '-tree';
