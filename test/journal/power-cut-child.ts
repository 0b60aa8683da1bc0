// A child for power-cut-hole.test.ts: a queue journals through the real journal into
// `journalDir`, over a sink that never answers (so its segment stays), with fsyncMs an hour
// (so nothing is fsync'd but what the test fsyncs). Enqueues `a` pairs and prints
// "a <segment>" once their turn has ended (journaled); at SIGUSR2 enqueues `b` more and
// prints "b". Runs until the test kills it.
//   node --import tsx test/journal/power-cut-child.ts '{"spillDir":…,"journalDir":…,"a":40,"b":40}'
import { readdirSync } from 'node:fs';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';

const cfg = JSON.parse(process.argv[2]!) as { spillDir: string; journalDir: string; a: number; b: number };
const sink = { appendProvenanceBatch: () => new Promise<void>(() => {}) };
const q = new ProvenanceWriteQueue(sink, {
  spillDir: cfg.spillDir,
  journalDir: cfg.journalDir,
  logger: silentLogger,
  fsyncMs: 3_600_000,
  sinkTimeoutMs: 0,
  exitHook: false,
});
q.start();

function enqueue(batch: string, n: number): void {
  for (let i = 0; i < n; i++) q.enqueue([['r1', { ts: new Date().toISOString(), cue: `${batch}${i}`, sessionId: 's', note: 'n'.repeat(200) }]]);
}

enqueue('a', cfg.a);
setImmediate(() => process.stdout.write(`a ${readdirSync(cfg.journalDir).find((n) => n.endsWith('-journal.jsonl'))}\n`));
process.on('SIGUSR2', () => {
  enqueue('b', cfg.b);
  setImmediate(() => process.stdout.write('b\n'));
});
setInterval(() => {}, 1 << 30);
