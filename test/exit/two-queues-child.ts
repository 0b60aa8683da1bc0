// Harness for test/exit/two-queues.test.ts, run as a real child process: two stores, each
// with its queue on; the first store's queue is disabled (stopped: its exit drain goes),
// then pairs wait in the second's for a minute of coalescing when the process ends —
// by process.exit(0), or by the signal the test sends once the child says "ready".
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';

const { first, second, ending } = JSON.parse(process.argv[2]!) as { first: string; second: string; ending: 'exit' | 'wait' };
const pair = (cue: string) => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's' }] as [string, { ts: string; cue: string; sessionId: string }];

const a = await LmdbMemoryStore.open({ path: first, logger: silentLogger });
const b = await LmdbMemoryStore.open({ path: second, logger: silentLogger });
await a.insert({ id: 'r1', text: 'first store' });
await b.insert({ id: 'r1', text: 'second store' });
a.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 60_000 });
const queue = b.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 60_000 });
await a.disableProvenanceQueue();
queue.enqueue(Array.from({ length: 50 }, (_, i) => pair(`waiting ${i}`)));
if (ending === 'exit') process.exit(0);
console.log('ready');
setInterval(() => {}, 1_000); // kept alive until the signal
