// Harness for test/log/closed-stderr.test.ts, run as a real child whose stderr reader is
// gone (a log shipper that died, `app 2>&1 | head`): a queue with the default logger and a
// sink that fails once, so the queue logs while it works. Prints the outcome on stdout.
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';

const cfg = JSON.parse(process.argv[2]!) as { spillDir: string; pairs: number };
let failures = 1;
const stored: ProvenancePair[] = [];
const sink = {
  appendProvenanceBatch(pairs: ProvenancePair[]) {
    if (failures-- > 0) throw new Error('database blip');
    stored.push(...pairs);
  },
};
const queue = new ProvenanceWriteQueue(sink, { spillDir: cfg.spillDir, retryBaseMs: 5 });
queue.start();
for (let i = 0; i < cfg.pairs; i++) queue.enqueue([['r1', { ts: new Date().toISOString(), cue: `c${i}`, sessionId: 's' }]]);
const flushed = await queue.flush(10_000);
await queue.stop();
process.stdout.write(`${JSON.stringify({ flushed, stored: stored.length, writeErrors: queue.stats().writeErrors })}\n`);
