// Harness for test/store/exit-mid-lmdb-batch.test.ts, run as a real child process: puts
// 4,000 pairs from a setImmediate callback (as the queue's worker does when woken), so
// lmdb-js's event-turn batch is open until its own setImmediate in the next loop iteration,
// enqueues 100 more through the queue, and calls process.exit(0) from a timer in between.
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';

const { storePath } = JSON.parse(process.argv[2]!) as { storePath: string };
const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
await store.insert({ id: 'r1', text: 'x' });
const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 60_000 });
// Started (tsx compiled, store open): the test's hang limit counts from here, not from spawn,
// which at load 15+ took most of the old 15 s limit by itself.
process.stdout.write('ready\n');
const pair = (cue: string) => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's' }] as [string, { ts: string; cue: string; sessionId: string }];
setImmediate(() => {
  void store.appendProvenanceBatch(Array.from({ length: 4000 }, (_, i) => pair(`direct ${i}`)));
  queue.enqueue(Array.from({ length: 100 }, (_, i) => pair(`queued ${String(i).padStart(3, '0')}`)));
  setTimeout(() => process.exit(0), 0);
});
