// `provq demo` / `npm start`: the main job on an embedded store, told as a story —
// recalls with the queue on, an overload that spills and drains, then the sync fallback.
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { count } from '../cli/plural.js';
import { CommandError } from '../errors.js';
import { silentLogger } from '../log.js';
import type { ProvenanceWriteQueue } from '../queue/provenance-write-queue.js';
import { LmdbMemoryStore } from '../store/lmdb-memory-store.js';
import { loadFixtureCues, loadFixtureRecords } from './fixtures.js';
import { LatencyRecorder } from './latency.js';
import { StatusLine } from './status-line.js';

export interface DemoOptions {
  storePath: string;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Recalls per phase (default 3000). */
  recalls?: number;
}

export interface DemoSummary {
  storePath: string;
  spillDir: string;
  recalls: number;
  hits: number;
  entriesWritten: number;
  queueOn: { p50Ms: number; p99Ms: number };
  queueOff: { p50Ms: number; p99Ms: number };
  spilledPairs: number;
  respooledPairs: number;
  spillFilesAtEnd: number;
}

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const out = opts.out ?? process.stdout;
  const say = (line = '') => out.write(`${line}\n`);
  const recalls = opts.recalls ?? 3000;
  const storePath = resolve(opts.storePath);
  const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
  const status = new StatusLine(out);
  try {
    const records = await loadFixtureRecords();
    let added = 0;
    for (const r of records) if (!(await store.get(r.id))) (await store.insert(r), added++);
    const cues = await loadFixtureCues();
    const entriesBefore = store.stats().entries;
    say(`provenance-queue demo — store ${storePath}`);
    say(`${records.length} memory records (${added} new), ${cues.length} cues, ${recalls} recalls per phase`);
    let hits = 0;
    const recallOnce = async (i: number, lat?: LatencyRecorder) => {
      const q = { cue: cues[i % cues.length]!, sessionId: `demo-${i % 7}`, k: 5 };
      hits += (lat ? await lat.time(() => store.recall(q)) : await store.recall(q)).length;
      // Like a server between requests, give timers and I/O a turn (outside the timing).
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    };

    say('\n1. queue on: recall returns without waiting for provenance writes');
    const on = new LatencyRecorder();
    const q1 = store.enableProvenanceQueue({ coalesceMs: 20 });
    for (let i = 0; i < recalls; i++) {
      await recallOnce(i, on);
      if (i % 50 === 0) status.update('queue on', q1.stats());
    }
    await settle(q1);
    status.done('queue on', q1.stats());
    await store.disableProvenanceQueue();

    say('\n2. overload: the sink slows to 40 ms a call, the queue holds 8 batches, the rest spills');
    const q2 = store.enableProvenanceQueue({ coalesceMs: 0, maxQueueSize: 8, maxBatchPairs: 64, idlePollMs: 100 });
    const realAppend = store.appendProvenanceBatch;
    store.appendProvenanceBatch = async (pairs) => {
      await new Promise((r) => setTimeout(r, 40));
      return realAppend.call(store, pairs);
    };
    for (let i = 0; i < recalls; i++) {
      await recallOnce(i);
      if (i % 50 === 0) status.update('overload', q2.stats());
    }
    status.done('overload', q2.stats());
    say(`   spill directory ${q2.spillDir}: ${count(await countSpillFiles(q2.spillDir), 'file')} waiting`);
    say('   the sink recovers; spill files are read back, oldest first');
    delete (store as Partial<Pick<LmdbMemoryStore, 'appendProvenanceBatch'>>).appendProvenanceBatch; // the prototype's again
    await settle(q2, (s) => status.update('draining', s));
    status.done('drained', q2.stats());
    const spilled = q2.stats();
    say(`   spill directory now holds ${count(await countSpillFiles(q2.spillDir), 'file')}`);
    await store.disableProvenanceQueue();

    say('\n3. queue off: the sync fallback, recall waits for each durable write');
    const off = new LatencyRecorder();
    for (let i = 0; i < recalls; i++) await recallOnce(i, off);

    const summary: DemoSummary = {
      storePath,
      spillDir: q2.spillDir,
      recalls: recalls * 3,
      hits,
      entriesWritten: store.stats().entries - entriesBefore,
      queueOn: { p50Ms: on.percentile(50), p99Ms: on.percentile(99) },
      queueOff: { p50Ms: off.percentile(50), p99Ms: off.percentile(99) },
      spilledPairs: spilled.spilledPairs,
      respooledPairs: spilled.respooledPairs,
      spillFilesAtEnd: await countSpillFiles(q2.spillDir),
    };
    printSummary(say, summary);
    if (summary.entriesWritten !== summary.hits) {
      throw new CommandError(`demo: ${summary.hits} recall hits but ${summary.entriesWritten} provenance entries written; this is a bug, please report it with the output above`);
    }
    return summary;
  } finally {
    await store.close();
  }
}

/** Waits until everything the queue took is durable and no spill file is left. */
async function settle(q: ProvenanceWriteQueue, onTick?: (s: ReturnType<ProvenanceWriteQueue['stats']>) => void) {
  const deadline = performance.now() + 120_000; // a duration: the monotonic clock
  while (performance.now() < deadline) {
    onTick?.(q.stats());
    if ((await q.flush(250)) && (await countSpillFiles(q.spillDir)) === 0) return;
  }
  throw new CommandError(`demo: the queue did not drain within 120 s (${JSON.stringify(q.stats())}); check the log lines above for sink or disk errors`);
}

async function countSpillFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).length;
  } catch {
    return 0;
  }
}

function printSummary(say: (line?: string) => void, s: DemoSummary): void {
  const ms = (v: number) => `${v.toFixed(3)} ms`;
  say('\nsummary');
  say(`  recalls                  ${s.recalls}`);
  say(`  recall hits              ${s.hits}`);
  say(`  provenance entries       ${s.entriesWritten} written (${s.entriesWritten === s.hits ? 'one per hit, none lost' : 'MISMATCH'})`);
  say(`  spilled / read back      ${s.spilledPairs} / ${s.respooledPairs} pairs, ${count(s.spillFilesAtEnd, 'spill file')} left`);
  say(`  recall p50 / p99, queue on   ${ms(s.queueOn.p50Ms)} / ${ms(s.queueOn.p99Ms)}`);
  say(`  recall p50 / p99, queue off  ${ms(s.queueOff.p50Ms)} / ${ms(s.queueOff.p99Ms)}`);
  say('\ninspect it yourself:');
  say(`  npx provq spill status --store ${s.storePath}`);
  say(`  npx provq stats --store ${s.storePath}`);
}
