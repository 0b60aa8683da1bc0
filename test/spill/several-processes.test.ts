// Several real processes sharing one store and one spill directory.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkload, startWorkload } from '../../faults/child.js';
import { auditCues, readCues } from '../../faults/audit.js';
import { cueOf } from '../../faults/workload.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';

const RECORDS = 10;

async function prepareStore(path: string): Promise<void> {
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  for (let r = 0; r < RECORDS; r++) await store.insert({ id: `r${r}`, text: `record ${r}` });
  await store.close();
}

describe('several processes, one spill directory', () => {
  // Child processes: 27-31 s each at load 20 (against vitest's 60 s default): a limit of 300 s.
  it('three processes drain 100 pre-made files: every pair applied exactly once', { timeout: 300_000 }, async () => {
    const storePath = tempDir();
    await prepareStore(storePath);
    const spillDir = join(storePath, 'provenance-overflow');
    const perFile = 20;
    for (let f = 0; f < 100; f++) {
      const cues = Array.from({ length: perFile }, (_, i) => cueOf('p', f * perFile + i));
      await writeQueueSpillFile(spillDir, `r${f % RECORDS}`, cues);
    }
    const cfg = { storePath, ending: 'drain' as const, pairs: 0, records: RECORDS, queue: { idlePollMs: 50 } };
    const results = await Promise.all([runWorkload(cfg), runWorkload(cfg), runWorkload(cfg)]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const audit = auditCues(await readCues(storePath, RECORDS), 'p', 100 * perFile);
    expect(audit).toMatchObject({ durable: 2000, lost: 0, duplicated: 0 });
    const respooled = results.map((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!).respooledPairs as number);
    expect(respooled.reduce((a, b) => a + b, 0)).toBe(2000); // no file applied by two processes
    expect(readdirSync(spillDir).filter((n) => n.endsWith('.jsonl'))).toEqual([]);
  });

  it('a holder killed mid-file: its read-back lease goes stale and another process finishes the file', { timeout: 300_000 }, async () => {
    const storePath = tempDir();
    await prepareStore(storePath);
    const spillDir = join(storePath, 'provenance-overflow');
    // 12,000 pairs in calls of 10, 500 ms each: read-back keeps up to 256 calls in flight
    // (the LMDB store's declaration), 2,560 pairs a wave, so the file takes about 2.5 s in five
    // waves, long enough to be killed in the middle of it. (2,000 pairs fitted in one wave once
    // the store declared 256 calls: the holder wrote all of them before it could be killed.)
    const PAIRS = 12_000;
    const cues = Array.from({ length: PAIRS }, (_, i) => cueOf('k', i));
    await writeQueueSpillFile(spillDir, 'r0', cues);
    const slow = startWorkload({
      storePath,
      ending: 'drain',
      pairs: 0,
      records: RECORDS,
      sinkDelayMs: 500,
      queue: { maxBatchPairs: 10, claimStaleMs: 2000 },
    });
    // Wait until the holder has written part of the file, then kill it hard.
    const deadline = performance.now() + 60_000; // a child starts in seconds on a loaded machine
    for (;;) {
      const written = (await readCues(storePath, 1)).get('r0')!.length;
      if (written > 0 || performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    slow.kill('SIGKILL');
    await slow.done;
    const partial = (await readCues(storePath, 1)).get('r0')!.length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(PAIRS);
    // It held the directory's read-back lease (a round of read-back claims no file alone).
    expect(readdirSync(spillDir)).toContain('read-back.lock');
    const finisher = await runWorkload({ storePath, ending: 'drain', pairs: 0, records: RECORDS, queue: { claimStaleMs: 2000, idlePollMs: 100 } });
    expect(finisher.code, finisher.stderr).toBe(0);
    const audit = auditCues(await readCues(storePath, RECORDS), 'k', PAIRS);
    expect(audit).toEqual({ durable: PAIRS, lost: 0, duplicated: 0, orderViolations: 0 });
  });
});
