// The Postgres store shares the LMDB store's queue toggle: close() after a disable that was
// not awaited waits for that drain (test/store/disable-then-close.test.ts has the story).
//
// Checked: with QueueToggle's wait for earlier stops taken out, close() resolved with the last
// pairs still in the queue (each recall waits for its query, so most were written by then):
// writtenPairs 990 of 1,000, 10 pending, 1 sink call failed on the ended pool; this fails there.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { freshDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

describe('PostgresMemoryStore: a disable not awaited, then close()', () => {
  it('close resolves once the drain is done: every pair in the database, none failed or spilled', async () => {
    const { url } = await freshDatabase();
    const spillDir = join(tempDir(), 'spill');
    const store = await PostgresMemoryStore.open({ connectionString: url, spillDir, logger: silentLogger });
    for (let i = 0; i < 5; i++) await store.insert({ id: `r${i}`, text: `topic memory ${i}` });
    const queue = store.enableProvenanceQueue({ coalesceMs: 200 });
    for (let i = 0; i < 200; i++) await store.recall({ cue: `topic q${i}`, sessionId: 's', k: 5 });
    const disabling = store.disableProvenanceQueue();
    await store.close();
    expect(queue.stats()).toMatchObject({ writtenPairs: 1000, writeErrors: 0, spilledPairs: 0, pendingPairs: 0 });
    await disabling;
    expect(readdirSync(join(spillDir, '..')).filter((n) => n === 'spill')).toEqual([]); // never made: nothing spilled
    const again = await PostgresMemoryStore.open({ connectionString: url, spillDir, logger: silentLogger });
    try {
      let n = 0;
      for (let i = 0; i < 5; i++) n += (await again.get(`r${i}`))!.provenance.length;
      expect(n).toBe(1000);
    } finally {
      await again.close();
    }
  });
});
