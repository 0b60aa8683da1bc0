// Harness for test/exit/many-queues.test.ts, run as a real child process: an app that runs
// many queues at once and then stops them, round after round (a server opening and closing
// a store per tenant). It prints, as one JSON line, the process warnings it got and how many
// of the stopped queues the garbage collector could free.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { RecordingSink } from '../helpers/sinks.js';

const { dir, queues: N, rounds } = JSON.parse(process.argv[2]!) as { dir: string; queues: number; rounds: number };
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));

const sink = new RecordingSink();

/** One round: N queues started, one pair each, stopped. Returns weak references to them. */
async function round(n: number): Promise<WeakRef<ProvenanceWriteQueue>[]> {
  const running = Array.from({ length: N }, (_, i) => new ProvenanceWriteQueue(sink, { spillDir: `${dir}/spill-${n}-${i}`, durability: 'memory', logger: silentLogger }));
  for (const q of running) q.start();
  running.forEach((q, i) => q.enqueue([['r1', { ts: new Date().toISOString(), cue: `${n}-${i}`, sessionId: 's' }]]));
  for (const q of running) await q.stop();
  return running.map((q) => new WeakRef(q));
}

const stopped: WeakRef<ProvenanceWriteQueue>[] = [];
for (let n = 0; n < rounds; n++) stopped.push(...(await round(n)));
// A WeakRef's target is kept until the turn that made it ends: collect in later turns.
let alive = stopped.length;
for (let i = 0; i < 10 && alive > 0; i++) {
  await new Promise((r) => setTimeout(r, 10));
  gc();
  alive = stopped.filter((r) => r.deref() !== undefined).length;
}
await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
console.log(JSON.stringify({ warnings, stopped: stopped.length, alive, saved: sink.pairs.length }));
