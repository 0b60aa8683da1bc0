// Row 6's child process: a store with its queue enabled and `pairs` pairs pending in memory
// (a coalescing window longer than the run, room for every batch), then it prints the wall
// time and calls process.exit(0) at once, so the exit hook has all of them to write.
import { makePairs, openStoreWithRecords } from './fixtures.js';
import { wallMs } from './row5-6-child-process.js';

export interface Row6Config {
  dir: string;
  records: number;
  pairs: number;
}

export interface Row6Marker {
  pendingPairs: number;
  spilledPairs: number;
  /** wallMs() just before process.exit. */
  exitCalledAt: number;
}

/** Pairs per enqueue, as a recall with k = 10 would make. */
const BATCH = 10;

const cfg = JSON.parse(process.argv[2]!) as Row6Config;
const store = await openStoreWithRecords(cfg.dir, cfg.records);
const queue = store.enableProvenanceQueue({ coalesceMs: 10_000, maxQueueSize: 100_000 });
// All in one turn of the loop: the worker never runs, so every pair is still pending at exit.
for (let from = 0; from < cfg.pairs; from += BATCH) {
  queue.enqueue(makePairs(from, Math.min(BATCH, cfg.pairs - from), cfg.records));
}
const { pendingPairs, spilledPairs } = queue.stats();
const marker: Row6Marker = { pendingPairs, spilledPairs, exitCalledAt: wallMs() };
process.stdout.write(`${JSON.stringify(marker)}\n`); // a pipe: written synchronously
process.exit(0);
