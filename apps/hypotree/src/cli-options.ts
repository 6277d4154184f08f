import { Option } from 'commander';
import { defaultStoreUrl } from '@hypotree/event-store';

// Options and argument parsers shared by the commands.

export const storeOption = () => new Option('--store <url>', 'event store: sqlite:<file> (default .hypotree/events.db) or esdb://host:2113?tls=false');
export const workdirOption = () => new Option('--workdir <dir>', "hypotree's working folder (artifact repo, worktrees, log)").default('.hypotree');

/** The store a command reads or writes: `--store`, else the SQLite log under `--workdir`. */
export const storeOf = (opts: { store?: string; workdir: string }): string => opts.store ?? defaultStoreUrl(opts.workdir);

export const int = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got ${value}`);
  return n;
};
