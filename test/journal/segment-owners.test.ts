// Whose journal segment is it? A queue reads back the segments of writers that are gone and
// leaves a live writer's alone (journal-names.ts). Two cases the dead-writer tests do not
// make: a segment named with this very process's pid that no writer here holds (left by an
// earlier process that had the same pid: a container's pid 1, restarted), and a file an
// operator put in the journal dir by hand, whose name only ends like a segment's.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { makeStore } from '../cli/run-provq.js';
import { writeRawFile } from '../helpers/spill-files.js';
import { until } from '../helpers/until.js';

/** Journal lines as the writer makes them (each entryId once, on the line). */
function journalLines(recordId: string, cues: string[]): string {
  const ids = reserveEntryIds(cues.length);
  return cues.map((cue, i) => `${JSON.stringify({ recordId, entryId: formatEntryId(ids.ms, ids.seq0 + i), entry: { ts: new Date().toISOString(), cue, sessionId: 's' } })}\n`).join('');
}

/** Starts a queue on the store; resolves with r1's cues once `files` are gone from the journal dir (or after 30 s). */
async function readBack(path: string, files: string[]): Promise<{ gone: boolean; cues: string[] }> {
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  try {
    const queue = store.enableProvenanceQueue({ idlePollMs: 50 });
    const gone = await until(() => files.every((f) => !existsSync(join(path, JOURNAL_DIR_NAME, f))), 30_000, 20);
    expect(await queue.flush(10_000)).toBe(true);
    return { gone, cues: (await store.get('r1'))!.provenance.map((e) => e.cue) };
  } finally {
    await store.close();
  }
}

describe('journal segments whose writer is not a live process', () => {
  // Checked (session 10, journal mutation run survivor of journal-names.ts, applied by hand,
  // this test run, the source restored): with `pid === process.pid` made false (this
  // process's pid taken as a live writer), the segment is never read back: gone false, no cue.
  it("one named with this process's pid that no writer here holds (a restarted container's pid 1) is read back", { timeout: 90_000 }, async () => {
    const path = await makeStore(['r1']);
    const name = writeRawFile(join(path, JOURNAL_DIR_NAME), `${Date.now()}-000001-${process.pid}-journal.jsonl`, journalLines('r1', ['a', 'b', 'c']));
    expect(await readBack(path, [name])).toEqual({ gone: true, cues: ['a', 'b', 'c'] });
  });

  // Checked (session 10, as above): with `pid === undefined` answered true (a name without a
  // pid taken as a live writer's), the first file is never read back; with the name's
  // pattern unanchored at its start, the second is taken as pid 1's (always alive) and never
  // read back. Either way gone is false and the cues are missing.
  it('a file put there by hand whose name only ends like a segment’s is read back, whatever numbers it carries', { timeout: 90_000 }, async () => {
    const path = await makeStore(['r1']);
    const dir = join(path, JOURNAL_DIR_NAME);
    const plain = writeRawFile(dir, 'restored-journal.jsonl', journalLines('r1', ['a', 'b']));
    const copied = writeRawFile(dir, `copy-of-${Date.now()}-000001-1-journal.jsonl`, journalLines('r1', ['c']));
    const r = await readBack(path, [plain, copied]);
    expect({ gone: r.gone, cues: [...r.cues].sort() }).toEqual({ gone: true, cues: ['a', 'b', 'c'] });
  });
});
