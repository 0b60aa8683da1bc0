// provq spill replay --dir given a journal directory: its segments would be read as spill
// files, and a dead writer's segment — whose normal end is zeros or a cut line — set aside
// whole instead of applied (found by breaker14, 2026-12-01: the pairs landed in a
// .failed file, not in the store). Now refused with usage (exit 2) before anything moves;
// replay without --dir then applies the journal by its own rules.
// Checked: with the refusal removed (and dist rebuilt), the first replay exits 0 — it read
// the segment as a spill file ("replayed 1 file, 200 pairs"; this segment's end was clean,
// the breaker's set aside whole).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { storeWithDeadWriterJournal } from './dead-journal-writer.js';
import { cuesOf, provq } from './run-provq.js';

/** Each entry's bytes (files) or 'dir': what a refused command must leave as it was. */
const contents = (dir: string) => Object.fromEntries(readdirSync(dir, { withFileTypes: true }).map((e) => [e.name, e.isDirectory() ? 'dir' : readFileSync(join(dir, e.name)).toString('base64')]));

describe('provq spill replay --dir <a journal directory>', () => {
  it('is refused before anything moves, and replay without --dir applies the journal', { timeout: 90_000 }, async () => {
    const { store, cues } = await storeWithDeadWriterJournal(200);
    const journal = join(store, JOURNAL_DIR_NAME);
    const before = contents(journal);
    expect(Object.keys(before).some((n) => n.endsWith('-journal.jsonl'))).toBe(true);

    const r = await provq('spill', 'replay', '--store', store, '--dir', journal);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^provq: --dir .* is a journal directory .*nothing was applied or moved/);
    expect(contents(journal)).toEqual(before);
    expect(await cuesOf(store, 'r1')).toEqual([]);

    const replay = await provq('spill', 'replay', '--store', store);
    expect(replay.code, replay.stderr).toBe(0);
    expect(await cuesOf(store, 'r1')).toEqual(cues);
  });
});
