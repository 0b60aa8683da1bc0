// provq spill replay also applies what dead writers journaled: a process killed with -9
// leaves acknowledged pairs in its journal segments and maybe in no spill file. Before, replay
// read only the spill dir: it said "no spill directory, nothing to replay", exit 0, with every
// acknowledged pair of the dead writer still only in its journal (found 2026-11-30: a child
// killed after 95,005 acknowledged pairs; replay applied the 65,520 that had overflowed to
// spill files and said nothing of the 29,815 more only in the journal).
// Checked: with the journal half of spillReplayCommand removed, this fails ("replayed 0 files,
// 0 pairs"; the code before said "no spill directory, nothing to replay"). A first fix that
// took the just-killed writer's claim (refreshed up to a second before the kill) for another
// process's failed it 3 of 3 runs the same way: replay now waits for that claim to go stale.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { storeWithDeadWriterJournal } from './dead-journal-writer.js';
import { cuesOf, provq } from './run-provq.js';

describe('provq spill replay after kill -9', () => {
  it('applies a dead writer’s journal segments, each pair once, in order, and removes them', { timeout: 90_000 }, async () => {
    const { store, cues } = await storeWithDeadWriterJournal(500);
    const journal = join(store, JOURNAL_DIR_NAME);
    expect(readdirSync(journal).filter((n) => n.endsWith('-journal.jsonl')).length).toBeGreaterThan(0);

    const r = await provq('spill', 'replay', '--store', store);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`replayed 1 file, ${cues.length} pairs`);
    expect(await cuesOf(store, 'r1')).toEqual(cues);
    expect(readdirSync(journal).filter((n) => n.endsWith('.jsonl'))).toEqual([]);

    const again = await provq('spill', 'replay', '--store', store);
    expect(again.code, again.stderr).toBe(0);
    expect(await cuesOf(store, 'r1')).toEqual(cues);
  });
});
