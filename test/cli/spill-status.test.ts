// provq spill status: what it reports must be what is in the directory.
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quarantineSpillFile } from '../../src/spill/quarantine.js';
import { writeQueueSpillFile, writeRawFile } from '../helpers/spill-files.js';
import { line, makeStore, provq, spillDirOf } from './run-provq.js';

describe('provq spill status', () => {
  it('--json matches the directory: pending files, pairs, bytes, age, quarantined with reason, claims and whether stale', async () => {
    const store = await makeStore(['r1']);
    const dir = spillDirOf(store);
    const a = await writeQueueSpillFile(dir, 'r1', ['a', 'b']);
    const b = await writeQueueSpillFile(dir, 'r1', ['c']);
    writeRawFile(dir, 'hand.jsonl', `${line('r1', 'h1')}\n\n   \n${line('r1', 'h2')}\n`); // blank lines are not pairs
    writeRawFile(dir, 'bad.jsonl', 'not json\n');
    const q = await quarantineSpillFile(dir, 'bad.jsonl', 'line 1: not JSON');
    mkdirSync(join(dir, `${a}.lock`)); // a live claim
    mkdirSync(join(dir, 'hand.jsonl.lock')); // a claim its holder stopped refreshing a minute ago
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'hand.jsonl.lock'), old, old);
    mkdirSync(join(dir, 'read-back.lock')); // a process reading back a round under the directory's lease (checked: not reported, this failed)
    writeFileSync(join(dir, '0000000000001-000001-1.jsonl.tmp'), '{"recordId"');

    const r = await provq('spill', 'status', '--store', store, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const names = [a, b, 'hand.jsonl'];
    const bytes = names.reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
    expect(s.exists).toBe(true);
    expect(s.pending).toMatchObject({ files: 3, pairs: 5, bytes, names });
    // Oldest by the time in its name: written just now, so seconds at most.
    expect(s.pending.oldestAgeMs).toBeGreaterThanOrEqual(0);
    expect(s.pending.oldestAgeMs).toBeLessThan(30_000);
    expect(s.quarantined).toEqual([{ file: q, reason: 'line 1: not JSON' }]);
    expect(s.claims.map((c: { file: string; stale: boolean }) => [c.file, c.stale])).toEqual([
      [a, false],
      ['hand.jsonl', true],
    ]);
    expect(s.readBackLease).toMatchObject({ stale: false });
    expect(s.unfinished.map((t: { file: string }) => t.file)).toEqual(['0000000000001-000001-1.jsonl.tmp']);

    const byDir = JSON.parse((await provq('spill', 'status', '--dir', dir, '--json')).stdout);
    expect({ ...byDir.pending, oldestAgeMs: 0 }).toEqual({ ...s.pending, oldestAgeMs: 0 });

    const text = await provq('spill', 'status', '--store', store);
    expect(text.stdout).toContain('3 files, 5 pairs');
    // Checked: with count() replaced by `${n} files` again, this read "1 files".
    expect(text.stdout).toMatch(/^ {2}quarantined {2}1 file$/m);
    expect(text.stdout).toContain(`${q}: line 1: not JSON`);
    expect(text.stdout).toMatch(/hand\.jsonl: refreshed .* \(stale/);
    expect(text.stdout).toMatch(/^ {2}claims held {2}3$/m);
    expect(text.stdout).toMatch(/read-back lease .*: refreshed \d/);
  });

  it('a directory that does not exist yet is reported as such, and is not created', async () => {
    const store = await makeStore([]);
    const r = await provq('spill', 'status', '--store', store, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ exists: false, pending: { files: 0, pairs: 0, bytes: 0, oldestAgeMs: null } });
    expect(existsSync(spillDirOf(store))).toBe(false);
  });

  // Before, a mistyped --store said "no spill directory (nothing has overflowed)", exit 0: an
  // operator checking a crashed host's backlog was told all is well. Checked: fails without
  // the store check in spillStatusCommand (exit 0, that line on stdout).
  it('a --store that is not a store is an error naming it (exit 1), not an empty spill dir', async () => {
    const typo = join(await makeStore([]), 'no-such-store');
    const r = await provq('spill', 'status', '--store', typo);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`provq: --store ${typo}: no such directory; pass the directory of an existing store`);
    expect(r.stdout).toBe('');
  });
});
