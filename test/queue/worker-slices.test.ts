// The worker starts sink calls a slice of the event loop at a time: a sink that allows many
// calls in flight (the LMDB store: 64) never has all of them started in one long turn, each
// call's serialisation done back to back while timers and I/O wait.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Turns of the event loop, counted by a setImmediate that re-arms itself. */
function turnCounter(): { now: () => number; stop: () => void } {
  let turns = 0;
  let handle = setImmediate(function tick() {
    turns++;
    handle = setImmediate(tick);
  });
  return { now: () => turns, stop: () => clearImmediate(handle) };
}

/** Many calls in flight, each spending `startMs` synchronously before it returns, as lmdb's puts do. */
class SlowStartSink extends RecordingSink {
  readonly maxConcurrentWrites = 64;
  readonly startedInTurn: number[] = [];
  constructor(
    private readonly turn: () => number,
    private readonly startMs: number,
  ) {
    super();
  }
  override appendProvenanceBatch(pairs: ProvenancePair[]): Promise<void> {
    this.startedInTurn.push(this.turn());
    const end = performance.now() + this.startMs;
    while (performance.now() < end); // the call's own serialisation, on the caller's turn
    return super.appendProvenanceBatch(pairs);
  }
}

describe('worker slices', () => {
  it('64 calls of 5 ms each are started over many turns, not in one of 320 ms; every pair written once, in order', async () => {
    // Checked: with the worker's slice check removed (worker.ts, run()), all 64 calls start
    // in one turn and the most calls in one turn is 64; with it, 1–2.
    const turns = turnCounter();
    cleanups.push(turns.stop);
    const sink = new SlowStartSink(turns.now, 5);
    sink.hold(); // every call stays in flight until all have started
    const dir = tempDir();
    const q = new ProvenanceWriteQueue(sink, { spillDir: join(dir, 'spill'), durability: 'memory', exitHook: false, logger: silentLogger });
    cleanups.push(() => q.stop());
    q.start();
    const batches = 64;
    const perCall = 256; // maxBatchPairs' default
    for (let b = 0; b < batches; b++) q.enqueue(Array.from({ length: perCall }, (_, i) => pair('r1', `${b * perCall + i}`)));
    expect(await until(() => sink.startedInTurn.length === batches, 30_000)).toBe(true);
    const perTurn = new Map<number, number>();
    for (const t of sink.startedInTurn) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    // A 4 ms slice holds one or two 5 ms calls; a generous bound that preemption cannot break
    // (a preempted slice starts fewer calls, never more).
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(8);
    sink.release();
    expect(await q.flush(20_000)).toBe(true);
    expect(sink.cues()).toEqual(Array.from({ length: batches * perCall }, (_, i) => `${i}`));
  });
});
