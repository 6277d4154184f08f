// Log integrity and store hygiene through the real CLI. Real searches on a synthetic task, then the
// SQLite file is edited beneath hypotree, as someone with sqlite3 might: a row deleted (a revision
// gap), the first row deleted, a row made unreadable, two revisions swapped. Every reader names the
// damage as stream@revision in one line; rebuild says inconsistent and exits 1; a resume refuses and
// appends nothing; `searches` still lists every other search. And reading never creates a log, a
// workdir that cannot be made is one error (no spin), a bogus store URL is one line.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { HYPOTREE_BIN, hypotree, lastJsonLine, spawnHypotree } from './support/cli.js';
import { createSyntheticTask, type SyntheticTask } from './support/synthetic-task.js';

/** Runs `hypotree` and resolves with its exit code and output instead of throwing; killed after `timeout` ms. */
async function attempt(args: string[], timeout = 120_000) {
  return execa('node', [HYPOTREE_BIN, ...args], { reject: false, timeout });
}

/** The one line a failed command prints on stderr (and checks that it is one line). */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

function sql(file: string, statement: string): void {
  const db = new Database(file);
  try {
    db.prepare(statement).run();
  } finally {
    db.close();
  }
}

function rowsOf(file: string, streamId: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events WHERE stream_id = ?').get(streamId) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A copy of the log with `statements` run on it: the original stays intact for the null cases. */
function damagedCopy(name: string, ...statements: string[]): string {
  const file = path.join(scratch, `${name}.db`);
  copyFileSync(log, file);
  for (const statement of statements) sql(file, statement);
  return file;
}

let task: SyntheticTask;
let scratch: string;
let workdir: string;
let log: string;

beforeAll(async () => {
  task = createSyntheticTask('noise');
  scratch = mkdtempSync(path.join(os.tmpdir(), 'hypotree-integrity-'));
  // A workdir two levels below an existing folder: `run` creates it (the null case of the folder checks).
  workdir = path.join(scratch, 'runs', 'wd');
  log = path.join(workdir, 'events.db');
  for (const id of ['a', 'b']) await hypotree(['run', task.root, '--budget', '3', '--parallel', '1', '--search-id', id, '--workdir', workdir]);
  // `c` is killed mid-way: an open search a resume would append to.
  const running = spawnHypotree(['run', task.root, '--budget', '40', '--parallel', '1', '--search-id', 'c', '--workdir', workdir]);
  for (let i = 0; i < 1200 && rowsOf(log, 'search-c') < 12; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  running.kill('SIGKILL');
  await running;
  // Fold the WAL into the file, so a plain copy holds every event.
  const db = new Database(log);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}, 600_000);

afterAll(() => {
  task?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('a revision gap (a row deleted from the SQLite file)', () => {
  let gap: string;
  beforeAll(() => {
    expect(rowsOf(log, 'search-c')).toBeGreaterThanOrEqual(12);
    gap = damagedCopy('gap', "DELETE FROM events WHERE stream_id = 'search-b' AND revision = 5", "DELETE FROM events WHERE stream_id = 'search-c' AND revision = 5");
  });

  it('the null case: the intact log rebuilds consistent, exit code 0', async () => {
    for (const id of ['a', 'b', 'c']) {
      const rebuilt = await attempt(['rebuild', id, '--store', `sqlite:${log}`, '--json']);
      expect(rebuilt.exitCode).toBe(0);
      expect(lastJsonLine(rebuilt.stdout)).toMatchObject({ searchId: id, consistent: true, problems: [] });
    }
  });

  it('rebuild reports it as a problem, stream@revision, consistent false, exit code 1 (text and --json)', async () => {
    const json = await attempt(['rebuild', 'b', '--store', `sqlite:${gap}`, '--json']);
    expect(json.exitCode).toBe(1);
    const report = lastJsonLine<{ consistent: boolean; problems: string[] }>(json.stdout);
    expect(report.consistent).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^search-b@5: revision gap in stream search-b: revision 5 is missing \(the next stored event is revision 6\)/)]);
    const text = await attempt(['rebuild', 'b', '--store', `sqlite:${gap}`]);
    expect(text.exitCode).toBe(1);
    expect(text.stdout.trim()).toMatch(/^cannot rebuild b: INCONSISTENT: search-b@5: revision gap/);
    expect(text.stdout.trim().split('\n')).toHaveLength(1);
    // The search beside it is untouched, and says so.
    const a = await attempt(['rebuild', 'a', '--store', `sqlite:${gap}`, '--json']);
    expect(a.exitCode).toBe(0);
    expect(lastJsonLine(a.stdout)).toMatchObject({ consistent: true });
  });

  it('a resume refuses with that error in one line and appends nothing on top of the hole', async () => {
    const before = rowsOf(gap, 'search-c');
    const resumed = await attempt(['run', task.root, '--search-id', 'c', '--store', `sqlite:${gap}`, '--workdir', workdir]);
    expect(resumed.exitCode).toBe(2);
    expect(oneLine(resumed.stderr)).toMatch(/^hypotree: search-c@5: revision gap in stream search-c: revision 5 is missing \(the next stored event is revision 6\); the log is not consistent/);
    expect(rowsOf(gap, 'search-c')).toBe(before);
  });

  it('tree, explain and replay name it in one line too', async () => {
    for (const args of [['tree', 'b'], ['replay', 'b'], ['explain', 'b', '0']]) {
      const read = await attempt([...args, '--store', `sqlite:${gap}`]);
      expect(read.exitCode).toBe(2);
      expect(oneLine(read.stderr)).toMatch(/^hypotree: search-b@5: revision gap/);
    }
  });

  it('searches lists every search, marks the broken one with the reason, and exits 1', async () => {
    const listed = await attempt(['searches', '--store', `sqlite:${gap}`]);
    expect(listed.exitCode).toBe(1);
    const [header, ...rows] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^SEARCH\s+TASK\s+CREATED\s+STATUS\s+EXPERIMENTS\s+BEST\s+GAIN\s+NOTE$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^a\s+noise\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+done\s+3\s+\S+\s+[+-]\d+\.\d\d%$/);
    expect(rows[1]).toMatch(/^b\s+noise\s+\S+ \S+\s+broken\s+-\s+-\s+-\s+search-b@5: revision gap/);
    expect(rows[2]).toMatch(/^c\s+noise\s+\S+ \S+\s+broken\s+-\s+-\s+-\s+search-c@5: revision gap/);
    expect(oneLine(listed.stderr)).toBe('hypotree: the log of b, c cannot be read (see the reason above; the other searches are listed)');
    const json = await attempt(['searches', '--store', `sqlite:${gap}`, '--json']);
    expect(json.exitCode).toBe(1);
    const listings = JSON.parse(json.stdout) as { searchId: string; status: string; reason: string | null }[];
    expect(listings.map((s) => [s.searchId, s.status])).toEqual([['a', 'done'], ['b', 'broken'], ['c', 'broken']]);
    expect(listings[1]!.reason).toMatch(/^search-b@5: revision gap/);
  });

  it('what came before the gap can be continued: a branch before it is consistent, one after it is refused', async () => {
    const rescue = damagedCopy('rescue', "DELETE FROM events WHERE stream_id = 'search-b' AND revision = 5");
    const after = await attempt(['branch', 'b', '--at', '6', '--reason', 'after the hole', '--store', `sqlite:${rescue}`]);
    expect(after.exitCode).toBe(2);
    expect(oneLine(after.stderr)).toMatch(/^hypotree: search-b@5: revision gap/);
    const branched = await attempt(['branch', 'b', '--at', '4', '--reason', 'keep what came before the hole', '--id', 'b-kept', '--store', `sqlite:${rescue}`]);
    expect(branched.exitCode).toBe(0);
    const rebuilt = await attempt(['rebuild', 'b-kept', '--store', `sqlite:${rescue}`, '--json']);
    expect(rebuilt.exitCode).toBe(0);
    expect(lastJsonLine(rebuilt.stdout)).toMatchObject({ consistent: true, events: 6 });
    const listings = JSON.parse((await attempt(['searches', '--store', `sqlite:${rescue}`, '--json'])).stdout) as { searchId: string; status: string; branchedFrom: string | null }[];
    expect(listings.map((s) => [s.searchId, s.status, s.branchedFrom])).toEqual([['a', 'done', null], ['b', 'broken', null], ['c', 'open', null], ['b-kept', 'open', 'b@4']]);
  });

  it('the null case: searches on the intact log, exit code 0, with status, experiments, best and gain', async () => {
    const listed = await attempt(['searches', '--workdir', workdir, '--json']);
    expect(listed.exitCode).toBe(0);
    expect(listed.stderr).toBe('');
    const listings = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(listings).toHaveLength(3);
    expect(listings[0]).toMatchObject({ searchId: 'a', task: 'noise', status: 'done', experiments: 3, best: expect.any(String), heldOutGain: expect.any(Number), branchedFrom: null, reason: null });
    expect(Date.parse(listings[0]!.createdAt as string)).toBeGreaterThan(Date.now() - 3_600_000);
    expect(listings[2]).toMatchObject({ searchId: 'c', status: 'open', heldOutGain: null, reason: null });
  });
});

describe('other damage: every reader names it, searches lists the rest', () => {
  it('the first event deleted: the search is listed as broken at @0 (not silently left out)', async () => {
    const headless = damagedCopy('headless', "DELETE FROM events WHERE stream_id = 'search-b' AND revision = 0");
    const listed = await attempt(['searches', '--store', `sqlite:${headless}`, '--json']);
    expect(listed.exitCode).toBe(1);
    const listings = JSON.parse(listed.stdout) as { searchId: string; status: string; reason: string | null }[];
    expect(listings.map((s) => [s.searchId, s.status])).toEqual([['a', 'done'], ['b', 'broken'], ['c', 'open']]);
    expect(listings[1]!.reason).toMatch(/^search-b@0: revision gap in stream search-b: revision 0 is missing \(the next stored event is revision 1\)/);
  });

  it('an unreadable first event (truncated JSON): the others are still listed', async () => {
    const corrupt = damagedCopy('corrupt', "UPDATE events SET data = '{\"searchId\": \"b\", ' WHERE stream_id = 'search-b' AND revision = 0");
    const listed = await attempt(['searches', '--store', `sqlite:${corrupt}`]);
    expect(listed.exitCode).toBe(1);
    const rows = listed.stdout.trim().split('\n').slice(1);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['a', 'b', 'c']);
    expect(rows[1]).toMatch(/^b\s+\?\s+-\s+broken\s+.*stream search-b revision 0: malformed stored event: data is not valid JSON/);
    const rebuilt = await attempt(['rebuild', 'b', '--store', `sqlite:${corrupt}`, '--json']);
    expect(rebuilt.exitCode).toBe(1);
    expect(lastJsonLine(rebuilt.stdout)).toMatchObject({ consistent: false, problems: [expect.stringContaining('search-b revision 0: malformed stored event')] });
  });

  it('two revisions swapped: rebuild names the one out of order, exit code 1', async () => {
    const swapped = damagedCopy(
      'swapped',
      "UPDATE events SET revision = 1000 WHERE stream_id = 'search-a' AND revision = 1",
      "UPDATE events SET revision = 1 WHERE stream_id = 'search-a' AND revision = 2",
      "UPDATE events SET revision = 2 WHERE stream_id = 'search-a' AND revision = 1000",
    );
    const rebuilt = await attempt(['rebuild', 'a', '--store', `sqlite:${swapped}`, '--json']);
    expect(rebuilt.exitCode).toBe(1);
    expect(lastJsonLine(rebuilt.stdout)).toMatchObject({
      consistent: false,
      problems: [expect.stringMatching(/^search-a@2: revision out of order in stream search-a: revision 2 was stored before revision 1/)],
    });
  });
});

describe('read-only commands never create a store', () => {
  it('a missing workdir or SQLite file is one line naming the path, and nothing is created', async () => {
    const missing = path.join(scratch, 'typo');
    const cases = [['searches'], ['tree', 'a'], ['rebuild', 'a'], ['replay', 'a'], ['branch', 'a', '--reason', 'x'], ['explain', 'a', '0'], ['events', 'a']];
    for (const args of cases) {
      const read = await attempt([...args, '--workdir', missing]);
      expect({ args, exitCode: read.exitCode }).toEqual({ args, exitCode: 2 });
      expect(oneLine(read.stderr)).toBe(
        `hypotree: no event log at ${missing}/events.db: the folder ${missing} does not exist (check --workdir, or name the log with --store sqlite:<file>)`,
      );
    }
    const nested = path.join(scratch, 'nonexistent', 'dir', 'x.db');
    const tree = await attempt(['tree', 'a', '--store', `sqlite:${nested}`]);
    expect(tree.exitCode).toBe(2);
    expect(oneLine(tree.stderr)).toContain(`no event log at ${nested}: the folder ${path.dirname(nested)} does not exist`);
    const emptyFolder = mkdtempSync(path.join(scratch, 'empty-'));
    const inEmpty = await attempt(['searches', '--workdir', emptyFolder]);
    expect(oneLine(inEmpty.stderr)).toBe(`hypotree: no event log at ${emptyFolder}/events.db: the file does not exist (check --workdir, or name the log with --store sqlite:<file>)`);
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(path.join(scratch, 'nonexistent'))).toBe(false);
    expect(readdirSync(emptyFolder)).toEqual([]);
  }, 120_000); // nine CLI processes, one after another: ~3 s each on a loaded 2-core machine
});

describe('store URLs and workdirs that cannot be used', () => {
  it('a bogus store URL is one line listing the accepted forms, for reading and for running', async () => {
    for (const args of [['searches'], ['run', task.root, '--budget', '1']]) {
      const result = await attempt([...args, '--store', 'bogus://x']);
      expect(result.exitCode).toBe(2);
      expect(oneLine(result.stderr)).toBe(
        'hypotree: event store URL "bogus://x": bogus: is not a kind of event store; use sqlite:<file> (or a file path) for the embedded log, ' +
          'or esdb://host:2113?tls=false / esdb+discover://host:2113 for EventStoreDB',
      );
    }
  });

  it('a workdir that cannot be created (/proc/nope) is one error and exit code 2, not a spin', async () => {
    const started = Date.now();
    const run = await attempt(['run', task.root, '--budget', '1', '--workdir', '/proc/nope'], 60_000);
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(2);
    expect(oneLine(run.stderr)).toBe('hypotree: cannot use /proc/nope/events.db for the event log: cannot create the folder /proc/nope (ENOENT)');
    // With the log elsewhere, the artifact's folder is the one that cannot be made.
    const elsewhere = await attempt(['run', task.root, '--budget', '1', '--workdir', '/proc/nope', '--store', `sqlite:${path.join(scratch, 'elsewhere.db')}`], 60_000);
    expect(elsewhere.timedOut).toBe(false);
    expect(elsewhere.exitCode).toBe(2);
    expect(oneLine(elsewhere.stderr)).toMatch(/^hypotree: cannot create the task's working folder \/proc\/nope\/noise\/worktrees: mkdir \/proc\/nope failed \(ENOENT\)/);
    expect(Date.now() - started).toBeLessThan(50_000);
  });
});
