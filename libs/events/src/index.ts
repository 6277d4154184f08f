export const hello = (): string => 'events';
