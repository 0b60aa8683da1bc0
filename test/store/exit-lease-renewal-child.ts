// Harness for test/store/exit-lease-renewal.test.ts, run as a real child process: waits
// until the store's entry-id lease is due for renewal, writes one pair (its ids renew the
// lease: one LMDB write), and calls process.exit(0) from a setImmediate right after, while
// that write is under way.
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { ID_LEASE_MS } from '../../src/store/id-high-water.js';

const { storePath } = JSON.parse(process.argv[2]!) as { storePath: string };
const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
await store.insert({ id: 'r1', text: 'x' });
await new Promise((r) => setTimeout(r, ID_LEASE_MS / 2 + 200)); // renewals fall due half a lease after the last
void store.appendProvenanceBatch([['r1', { ts: new Date().toISOString(), cue: 'renews', sessionId: 's' }]]);
setImmediate(() => process.exit(0));
