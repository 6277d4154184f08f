import { InvalidPositionError } from '../errors.js';

/** An EventStoreDB `$all` position. */
export interface AllPosition {
  commit: bigint;
  prepare: bigint;
}

/** Serializes a position the way EventStoreDB displays it: `C:<commit>/P:<prepare>`. */
export function formatPosition(position: AllPosition): string {
  return `C:${position.commit}/P:${position.prepare}`;
}

/** Parses a position this adapter handed out. */
export function parsePosition(position: string): AllPosition {
  const match = /^C:(\d+)\/P:(\d+)$/.exec(position);
  if (!match) throw new InvalidPositionError(position, 'EventStoreDB');
  return { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) };
}

/** Whether `a` comes strictly before `b` in `$all`. */
export function isBefore(a: AllPosition, b: AllPosition): boolean {
  return a.commit < b.commit || (a.commit === b.commit && a.prepare < b.prepare);
}
