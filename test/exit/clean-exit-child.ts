// Harness for test/exit/clean-exit.test.ts, run as a real child process: a store with its
// queue on (journal durability, the default); pairs enqueued and flushed — durable in LMDB —
// then process.exit(0) at once, while the journal's segment is still there (its quiet period).
import { existsSync, readdirSync } from 'node:fs';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';

const { storePath } = JSON.parse(process.argv[2]!) as { storePath: string };
const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
await store.insert({ id: 'r1', text: 'a memory' });
const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 0 });
const journal = `${storePath}/provenance-journal`;
const segments = () => (existsSync(journal) ? readdirSync(journal).filter((n) => n.endsWith('.jsonl')).length : 0);
// Until a flush leaves its segment in place (it goes after 500 ms without a write; a sink
// call slower than that, under load, lets the worker remove it at once): then exit at once.
for (let i = 0; ; i++) {
  queue.enqueue([['r1', { ts: new Date().toISOString(), cue: `c${i}`, sessionId: 's' }]]);
  if (!(await queue.flush(30_000))) throw new Error('flush did not report the pairs durable');
  if (segments() > 0) {
    console.log(`pairs: ${i + 1}`);
    process.exit(0);
  }
  if (i === 200) throw new Error('no flush left a journal segment in place');
}
