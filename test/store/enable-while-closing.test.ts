// enableProvenanceQueue() while close() runs: refused (PROVQ_STORE_CLOSED). Before, it
// started a queue that close() — which stops the queue it found on when it began — left
// running against the closed store: its writes failed over to spill files and close() did
// not leave the queue off (found by breaker14, 2026-12-01). Real LMDB and a real Postgres.
// Checked: with the refusal removed from either store, its test fails (the enable returns a
// queue, still running after close() resolved).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { freshDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

interface Store {
  insert(r: { id?: string; text: string }): Promise<string>;
  recall(q: { cue: string; sessionId: string; k?: number }): Promise<unknown>;
  enableProvenanceQueue(): { stats(): { pendingPairs: number } };
  close(): Promise<void>;
  readonly provenanceQueue: unknown;
}

async function enableDuringClose(store: Store): Promise<void> {
  await store.insert({ id: 'r1', text: 'topic memory' });
  store.enableProvenanceQueue();
  for (let i = 0; i < 50; i++) await store.recall({ cue: `topic q${i}`, sessionId: 's', k: 1 });
  const closing = store.close();
  let refused: unknown;
  try {
    store.enableProvenanceQueue();
  } catch (err) {
    refused = err;
  }
  await closing;
  expect(refused).toMatchObject({ code: 'PROVQ_STORE_CLOSED', message: expect.stringMatching(/^enableProvenanceQueue: .* is closing/) });
  expect(store.provenanceQueue).toBeNull(); // close() left the queue off
}

describe('enableProvenanceQueue while close() runs', () => {
  it('is refused by the LMDB store, and close() leaves the queue off', async () => {
    await enableDuringClose((await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger })) as unknown as Store);
  });

  it('is refused by the Postgres store, and close() leaves the queue off', async () => {
    const { url } = await freshDatabase();
    const spillDir = join(tempDir(), 'spill');
    await enableDuringClose((await PostgresMemoryStore.open({ connectionString: url, spillDir, logger: silentLogger })) as unknown as Store);
  });
});
