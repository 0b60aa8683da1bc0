// Harness for test/cli/spill-replay-journal.test.ts, run as a real child process: opens the
// store with its queue on (journal durability, the default) and a worker that does not write
// for a minute, enqueues the cues, and says `journaled` once the enqueue turn has ended (the
// pairs are in the journal, nowhere else). The test then kills it with -9.
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';

const cfg = JSON.parse(process.argv[2]!) as { storePath: string; cues: string[] };
const store = await LmdbMemoryStore.open({ path: cfg.storePath, logger: silentLogger });
const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 60_000, maxBatchPairs: 100_000 });
for (const cue of cfg.cues) queue.enqueue([['r1', { ts: new Date().toISOString(), cue, sessionId: 's' }]]);
setImmediate(() => process.stdout.write('journaled\n'));
setInterval(() => {}, 60_000);
