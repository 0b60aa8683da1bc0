// A queue whose sink is down, so every batch is spilled: one batch, the wall clock set to
// `offsetMs` from the real time (faults/fake-clock.ts, preloaded; it starts at
// PROVQ_FAKE_CLOCK_OFFSET_MS), another batch. Prints the 'spilled' files
// in the order they were written and the directory's files in name order (read-back order).
//
//   node --import tsx --import faults/fake-clock.ts test/clock/spill-names-child.ts '{"spillDir": "...", "offsetMs": -3600000}'
import { readdirSync } from 'node:fs';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';

const { spillDir, offsetMs } = JSON.parse(process.argv[2]!) as { spillDir: string; offsetMs: number };
const step = (globalThis as { provqSetClockOffset?: (ms: number) => void }).provqSetClockOffset;
if (!step) throw new Error('run with --import faults/fake-clock.ts');
const down = { appendProvenanceBatch: () => Promise.reject(new Error('sink down')) };
const q = new ProvenanceWriteQueue(down, { spillDir, durability: 'memory', maxAttempts: 1, retryBaseMs: 60_000, retryMaxMs: 60_000, coalesceMs: 0, exitHook: false, logger: silentLogger });
const written: string[] = [];
q.on('spilled', ({ file }) => written.push(file));
q.start();
const pair = (cue: string): ProvenancePair => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's' }];
const spilled = async (n: number) => {
  while (written.length < n) await new Promise((r) => setTimeout(r, 5));
};
q.enqueue([pair('before the step')]);
await spilled(1);
step(offsetMs);
q.enqueue([pair('after the step')]);
await spilled(2);
await q.stop({ timeoutMs: 1000 });
const byName = readdirSync(spillDir).filter((n) => n.endsWith('.jsonl')).sort();
process.stdout.write(`${JSON.stringify({ written, byName })}\n`);
