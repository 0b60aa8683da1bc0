// The baseline of the throughput rows: raw `lmdb` puts of the same keys and values the
// store writes ([recordId, entryId] → entry), auto-batched by lmdb (puts issued while a
// commit runs join the next transaction), with the store's durability settings.
import { join } from 'node:path';
import { open } from 'lmdb';
import { formatEntryId } from '../src/entry-id.js';
import { benchDir, makePairs } from './fixtures.js';

/** Pairs/s for `count` pairs over `records` records; `perCommit` caps the puts awaited together. */
export async function rawLmdbPairsPerSecond(count: number, records: number, perCommit = Infinity): Promise<number> {
  const env = open({ path: join(benchDir('raw-lmdb'), 'raw.mdb'), overlappingSync: false, maxDbs: 4 });
  const db = env.openDB({ name: 'provenance' });
  try {
    const ms = Date.now();
    const pairs = makePairs(0, count, records);
    const keys = pairs.map((_, i) => formatEntryId(ms, i));
    const t0 = performance.now();
    let last: Promise<boolean> | undefined;
    for (let i = 0; i < pairs.length; i++) {
      const [recordId, entry] = pairs[i]!;
      last = db.put([recordId, keys[i]!], { ...entry, entryId: keys[i] });
      if ((i + 1) % perCommit === 0) await last;
    }
    await last;
    return count / ((performance.now() - t0) / 1000);
  } finally {
    await env.close();
  }
}
