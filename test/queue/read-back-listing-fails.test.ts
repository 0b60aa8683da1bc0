// The spill directory can become unusable while the queue runs — here its owner marker is
// damaged (an operator's edit, a bad restore), so every read-back listing throws. Read-back
// must then wait, saying so once, while fresh pairs still reach the sink; and once the marker
// is fixed (deleted: the queue writes it again) the files waiting there are read back.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { OWNER_FILE } from '../../src/spill/dir-owner.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { handLine, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a spill directory whose listing fails while the queue runs', () => {
  // Checked (session 12, read-back.ts `listingOf`, StrykerJS's "no coverage" mutants, each
  // applied by hand, on main with the worker supervisor): the catch emptied — it answers
  // undefined, the round reads `.pending` of it and throws; no line names the directory and the
  // wait for it fails (before the supervisor, 2525239, that throw stopped the worker for good;
  // now it is restarted and 'b' arrives — checked with that wait left out); the log's condition made true — an error line every poll, the count fails; made false, or
  // the message "" — no line naming the directory, the wait fails. Restored, it passes.
  it('logs once and keeps delivering fresh pairs, and reads back the waiting files once it is fixed', { timeout: 60_000 }, async () => {
    const dir = join(tempDir('provq-listfail-'), 'spill');
    mkdirSync(dir, { mode: 0o700 });
    const sink = new RecordingSink();
    const errors: { dir?: string; msg: string }[] = [];
    const logger = { ...silentLogger, error: (f: { dir?: string }, msg: string) => errors.push({ dir: f.dir, msg }) };
    const q = new ProvenanceWriteQueue(sink, { spillDir: dir, durability: 'memory', idlePollMs: 20, logger });
    q.start();
    cleanups.push(() => q.stop({ timeoutMs: 2000 }));
    q.enqueue([pair('r1', 'a')]);
    expect(await q.flush(30_000)).toBe(true);
    expect(await until(() => existsSync(join(dir, OWNER_FILE)), 30_000)).toBe(true); // the queue marked it as its own

    writeFileSync(join(dir, OWNER_FILE), 'not a marker'); // from now on every listing throws
    writeRawFile(dir, 'hand.jsonl', `${handLine('r1', 'x')}\n`); // a file waiting to be read back
    const named = () => errors.filter((e) => e.dir === dir && e.msg.includes('cannot read back from this directory'));
    expect(await until(() => named().length > 0, 30_000)).toBe(true);
    expect(sink.cues()).toEqual(['a']);

    q.enqueue([pair('r1', 'b')]);
    expect(await until(() => sink.cues().includes('b'), 30_000)).toBe(true);
    // A window, not a proof: 500 ms is ~25 idle polls at 20 ms, each listing failing again.
    await new Promise((r) => setTimeout(r, 500));
    expect(named()).toHaveLength(1);

    rmSync(join(dir, OWNER_FILE)); // the fix the error message names: the marker is written again
    expect(await until(() => sink.cues().includes('x'), 30_000)).toBe(true);
    expect(sink.cues().filter((c) => c === 'x')).toHaveLength(1);
    expect(await q.flush(30_000)).toBe(true);
  });
});
