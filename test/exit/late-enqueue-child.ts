// Harness for test/exit/late-enqueue.test.ts, run as a real child process: a store with its
// queue on, pairs waiting, and an 'exit' listener of the app's own that recalls and
// enqueues — it runs after the queue's exit drain (which is prepended to 'exit'), so its
// pairs reach a queue that has already halted. Then process.exit(0).
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';

const { storePath } = JSON.parse(process.argv[2]!) as { storePath: string };
const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
await store.insert({ id: 'r1', text: 'my cat likes tuna' });
const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 60_000 });
const pair = (cue: string) => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's' }] as [string, { ts: string; cue: string; sessionId: string }];
process.on('exit', () => {
  queue.enqueue([pair('enqueued in an exit listener')]);
  void store.recall({ cue: 'my cat, recalled in an exit listener', sessionId: 's' });
});
queue.enqueue(Array.from({ length: 50 }, (_, i) => pair(`before exit ${i}`)));
process.exit(0);
