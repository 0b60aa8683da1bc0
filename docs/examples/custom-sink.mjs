// Wrapping your own store: anything with appendProvenanceBatch (and, for exit,
// appendProvenanceBatchSync) can sit behind the queue. Here: a JSON-lines file per run.
// Run: node docs/examples/custom-sink.mjs
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProvenanceWriteQueue } from 'provenance-queue';

const dir = mkdtempSync(join(tmpdir(), 'custom-sink-'));
const file = join(dir, 'provenance.jsonl');
const seen = new Set(); // entryIds already written: a replayed pair must be a no-op

const sink = {
  async appendProvenanceBatch(pairs) {
    this.appendProvenanceBatchSync(pairs);
  },
  appendProvenanceBatchSync(pairs) {
    const lines = pairs
      .filter(([, entry]) => !seen.has(entry.entryId))
      .map(([recordId, entry]) => JSON.stringify({ recordId, ...entry }));
    if (lines.length) appendFileSync(file, lines.join('\n') + '\n');
    for (const [, entry] of pairs) seen.add(entry.entryId);
  },
};

const queue = new ProvenanceWriteQueue(sink, { spillDir: join(dir, 'overflow'), coalesceMs: 20 });
queue.start();
for (let i = 0; i < 5; i++) {
  queue.enqueue([[`memory-${i % 2}`, { ts: new Date().toISOString(), cue: `cue ${i}`, sessionId: 'demo' }]]);
}
console.log('flushed:', await queue.flush());
await queue.stop();
console.log('lines written:', readFileSync(file, 'utf8').trim().split('\n').length);
