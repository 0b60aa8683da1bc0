// A file placed in the spill dir by hand while it is still being written — operations.md
// tells an operator to save the spill lines of a failed exit "to a file in the spill dir",
// and `grep '^{"recordId"' app.err > spill/rescued.jsonl` does it — may be read back before
// its writer is done. Lines appended after the read must not be deleted with the file: it
// is kept, read again (the lines applied already are no-ops: their ids come from the file
// name and line number), and deleted once a read saw all of it.
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Hand-made lines (no entryId) for r1, cues `<prefix><i>` padded to about `bytes` each. */
function lines(prefix: string, from: number, count: number, bytes: number): string {
  let out = '';
  for (let i = from; i < from + count; i++) {
    const cue = `${prefix}${i}-${'x'.repeat(Math.max(0, bytes - 100))}`;
    out += `${JSON.stringify({ recordId: 'r1', entry: { ts: '2026-12-01T10:00:00.000Z', cue, sessionId: 'rescued' } })}\n`;
  }
  return out;
}

/**
 * A real store whose sink call holding the line with cue `<holdCue>-…` waits at a gate until
 * the test opens it (the fake is at the sink interface only): the file's last line read, its
 * reader past the end of the file.
 */
async function gatedStore(holdCue: string) {
  const path = tempDir();
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  await store.insert({ id: 'r1', text: 'record one' });
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let entered = 0;
  const real = store.appendProvenanceBatch.bind(store);
  store.appendProvenanceBatch = async (pairs, context) => {
    if (pairs.some(([, e]) => e.cue.startsWith(`${holdCue}-`))) {
      entered++;
      await gate;
    }
    return real(pairs, context);
  };
  cleanups.push(() => store.close());
  cleanups.push(() => open());
  return { store, path, entered: () => entered, release: () => open() };
}

describe('a spill file written to after it was read back', () => {
  // Checked: with the version check before the delete removed (replay.ts and
  // merged-read-back.ts deleting as before), the file is deleted after its first read and
  // the store ends with 40 of 60 entries (small, merged read-back) / 4,500 of 5,000 (large,
  // streamed alone): the lines appended meanwhile were lost, and this fails.
  it.each([
    ['small (merged read-back)', 40, 20, 200],
    ['large (streamed on its own)', 4500, 500, 1100],
  ])('%s: the appended lines are applied too, every line once, before the file is deleted', { timeout: 120_000 }, async (_, first, more, bytes) => {
    const { store, path, entered, release } = await gatedStore(`c${first - 1}`);
    const spillDir = join(path, 'provenance-overflow');
    writeRawFile(spillDir, 'rescued.jsonl', lines('c', 0, first, bytes));
    const q = store.enableProvenanceQueue({ idlePollMs: 50, retryBaseMs: 10, retryMaxMs: 50, logger: silentLogger });
    expect(await until(() => entered() > 0, 30_000)).toBe(true); // read to its end, the call with its last line waiting
    appendFileSync(join(spillDir, 'rescued.jsonl'), lines('c', first, more, bytes)); // the writer was not done
    release();
    const gone = () => !readdirSync(spillDir).some((n) => n.endsWith('.jsonl'));
    expect(await until(gone, 60_000)).toBe(true);
    expect(await q.flush(30_000)).toBe(true);
    const cues = (await store.get('r1'))!.provenance.map((e) => e.cue.split('-')[0]);
    expect(cues.length).toBe(first + more);
    expect(new Set(cues).size).toBe(first + more);
    expect(q.stats().quarantinedFiles).toBe(0);
  });
});
