// A workload for a child process, used by the tests and the fault-injection suite: opens
// a store, enqueues pairs, then ends in the way the parent asked (exit, signal, crash...).
// Run it as a child with: node --import tsx faults/workload-child.ts '<json WorkloadConfig>'
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { fillDisk } from './fill-disk.js';
import { jsonLogger, silentLogger } from '../src/log.js';
import { listSpillDir } from '../src/spill/spill-dir.js';
import { journalStatus } from '../src/journal/journal-status.js';
import type { ProvenancePair, QueueOptions } from '../src/schemas.js';
import type { ProvenanceWriteQueue } from '../src/queue/provenance-write-queue.js';

export type Ending =
  | 'exit' // process.exit(exitCode) right after enqueueing
  | 'natural' // nothing left to do: the event loop runs out
  | 'throw' // an uncaught exception
  | 'reject' // an unhandled promise rejection
  | 'wait' // print "ready" and wait for the parent's signal
  | 'stream' // enqueue for ever in small batches, printing "enqueued N" lines (for kill -9)
  | 'drain' // enqueue, then wait until the spill dir holds no pending file, stop and exit 0
  | 'settle' // enqueue (yielding between batches), then wait until all of it is durable, close, exit 0
  | 'close'; // enqueue, then close the store at once (stop drains the calls in flight), exit 0

export interface WorkloadConfig {
  storePath: string;
  ending: Ending;
  pairs: number;
  records: number;
  /** Prefix of every cue, so several processes' pairs can be told apart. */
  cuePrefix?: string;
  /** The number of the first pair (a second run continues where the first one stopped). */
  firstPair?: number;
  /** The wall clock starts this far off (negative: behind), as after a clock step (faults/fake-clock.ts). */
  clockOffsetMs?: number;
  /** The wall clock jumps `aheadMs` ahead before batch `atBatch` and comes back `batches` batches later. */
  clockJump?: { atBatch: number; batches: number; aheadMs: number };
  /** Every this many batches, also a call holding one valid pair and one that is not plain JSON data: it must throw. */
  poisonEvery?: number;
  /** Every this many batches, a pair carrying an entryId read back from the store, given twice: the first is kept. */
  callerIdEvery?: number;
  exitCode?: number;
  batchPairs?: number;
  /** Extra delay for every async sink call (ms): keeps pairs waiting in the queue. */
  sinkDelayMs?: number;
  /** Make this share of async sink calls throw (0..1). */
  sinkFailRate?: number;
  /** Every this-many-th async sink call throws (3: one call in three), while the others succeed. */
  sinkFailEvery?: number;
  /** The async sink throws on every call until this many ms after start. */
  sinkDownMs?: number;
  /** The async sink refuses, for ever, every batch holding one of these pair numbers. */
  sinkRefuses?: number[];
  queue?: QueueOptions;
  /**
   * Also open an LMDB environment with lmdb's defaults, as an application might: that makes
   * lmdb register its own 'exit' listener, which closes every environment (the exit drain
   * must run before it).
   */
  openDefaultLmdb?: boolean;
  /**
   * Register, before the queue starts, an 'exit' listener that prints the store's entry
   * count: it runs where lmdb's own exit listener runs, so it shows whether the exit drain
   * ran before such listeners.
   */
  probeAtExit?: boolean;
  /** With 'settle': give the event loop a turn after every this many batches (default 1). */
  yieldEvery?: number;
  /**
   * With exit, throw, reject or wait: end (or print "ready") only once an async sink call is
   * in flight and an earlier one has completed — mid-batch. Needs sinkDelayMs to hold the call.
   */
  midBatch?: boolean;
  /** With 'stream': print "enqueued N pending P", P the queue's pendingPairs right after the enqueue. */
  printPending?: boolean;
  /**
   * Right after the queue starts, put a file at this path: a spill dir beneath it then fails
   * with a real ENOTDIR (where mounting a full tmpfs is not allowed) until the file is removed.
   */
  spillDirBlocker?: string;
  /** The store's sync write (the exit drain's first choice) throws, as a sink that is down would. */
  syncWriteFails?: boolean;
  /**
   * Right after the queue starts, grow a file at this path until its filesystem is full
   * (ENOSPC): the store's own disk full, for the pairs that follow.
   */
  fillDisk?: string;
  /** Extra bytes of padding in every entry (a `pad` field), so few pairs fill a disk. */
  padBytes?: number;
  /** The queue logs its JSON lines to stderr (silent otherwise). */
  logToStderr?: boolean;
  /** The queue logs its JSON lines to this file, appended synchronously (for a child whose stderr is closed or failing). */
  logFile?: string;
}

export function recordId(i: number): string {
  return `r${i}`;
}

export function cueOf(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(9, '0')}`;
}

export function makePairs(cfg: WorkloadConfig, from: number, count: number): ProvenancePair[] {
  const pairs: ProvenancePair[] = [];
  const ts = new Date().toISOString();
  const pad = cfg.padBytes ? { pad: 'p'.repeat(cfg.padBytes) } : {};
  for (let i = from; i < from + count; i++) {
    pairs.push([recordId(i % cfg.records), { ts, cue: cueOf(cfg.cuePrefix ?? 'c', i), sessionId: `pid-${process.pid}`, ...pad }]);
  }
  return pairs;
}

export async function runWorkload(cfg: WorkloadConfig): Promise<void> {
  const store = await LmdbMemoryStore.open({ path: cfg.storePath, logger: silentLogger });
  if (cfg.openDefaultLmdb) open({ path: join(cfg.storePath, 'app-env') }).putSync('opened', true);
  for (let r = 0; r < cfg.records; r++) {
    if (!(await store.get(recordId(r)))) await store.insert({ id: recordId(r), text: `record ${r}` });
  }
  if (cfg.probeAtExit) process.on('exit', () => process.stdout.write(`entries at an earlier exit listener: ${store.stats().entries}\n`));
  const sinkCalls = injectSinkFaults(store, cfg);
  const queue = store.enableProvenanceQueue({ logger: cfg.logFile ? jsonLogger((line) => appendFileSync(cfg.logFile!, line)) : cfg.logToStderr ? jsonLogger() : silentLogger, ...cfg.queue });
  if (cfg.spillDirBlocker) writeFileSync(cfg.spillDirBlocker, 'a file where the spill dir should be');
  if (cfg.fillDisk) fillDisk(cfg.fillDisk);
  const batch = cfg.batchPairs ?? 10;
  const first = cfg.firstPair ?? 0;
  const extras = new ExtraCalls(cfg, store, queue);

  if (cfg.ending === 'stream') {
    let sent = 0;
    const tick = (): void => {
      queue.enqueue(makePairs(cfg, sent, batch));
      sent += batch;
      process.stdout.write(cfg.printPending ? `enqueued ${sent} pending ${queue.stats().pendingPairs}\n` : `enqueued ${sent}\n`);
      setImmediate(tick);
    };
    tick();
    setInterval(() => {}, 1 << 30);
    return;
  }

  let batches = 0;
  for (let sent = 0; sent < cfg.pairs; sent += batch) {
    setClock(cfg, batches);
    queue.enqueue(makePairs(cfg, first + sent, Math.min(batch, cfg.pairs - sent)));
    if (extras.active) await extras.after(batches);
    batches++;
    if (cfg.ending === 'settle' && batches % (cfg.yieldEvery ?? 1) === 0) await new Promise((r) => setImmediate(r));
  }
  setClock(cfg, batches);
  extras.report();

  if (cfg.midBatch) await sinkCalls.midBatch();
  if (cfg.fillDisk && cfg.ending === 'settle') {
    // Tell the parent once the full disk has been felt by the sink and the spill dir: it frees space then.
    while (!(queue.stats().writeErrors > 0 && queue.stats().spillErrors > 0)) await new Promise((r) => setTimeout(r, 20));
    process.stdout.write(`disk full ${JSON.stringify(queue.stats())}\n`);
  }

  switch (cfg.ending) {
    case 'exit':
      process.exit(cfg.exitCode ?? 0);
    case 'natural':
      return;
    case 'throw':
      setImmediate(() => {
        throw new Error('workload: deliberate uncaught exception');
      });
      return;
    case 'reject':
      void Promise.reject(new Error('workload: deliberate unhandled rejection'));
      return;
    case 'settle':
      // Also until the journals of writers that are gone (a killed run's) are read back.
      // flush() stays false for pairs of its own spill files set aside (refused, quarantined): settled
      // then once nothing else is pending.
      while (!((await settledOrSetAside(queue)) && (await listSpillDir(queue.spillDir)).pending.length === 0 && (await deadJournals(queue.journalDir)) === 0));
      // What flush() said is durable must be in the store now, before close() drains anything.
      const entriesAtFlush = store.stats().entries;
      await store.close();
      process.stdout.write(`${JSON.stringify({ ...queue.stats(), entriesAtFlush })}\n`);
      return;
    case 'close':
      await store.close();
      process.stdout.write(`${JSON.stringify(queue.stats())}\n`);
      return;
    case 'drain':
      await waitUntilSpillDirEmpty(queue.spillDir);
      await store.close();
      process.stdout.write(`${JSON.stringify(queue.stats())}\n`);
      return;
    case 'wait':
      setInterval(() => {}, 1 << 30);
      process.stdout.write('ready\n');
      return;
  }
}

async function settledOrSetAside(queue: ProvenanceWriteQueue): Promise<boolean> {
  if (await queue.flush(1000)) return true;
  const s = queue.stats();
  return s.pendingPairs === 0 && s.quarantinedFiles > 0;
}

async function deadJournals(dir: string | null): Promise<number> {
  if (!dir) return 0;
  return (await journalStatus(dir)).segments.filter((seg) => !seg.writerAlive).length;
}

/** Steps the wall clock (faults/fake-clock.ts) as cfg.clockJump says, before batch `n`. */
function setClock(cfg: WorkloadConfig, n: number): void {
  const j = cfg.clockJump;
  if (!j) return;
  const ahead = n >= j.atBatch && n < j.atBatch + j.batches;
  (globalThis as { provqSetClockOffset?: (ms: number) => void }).provqSetClockOffset?.((cfg.clockOffsetMs ?? 0) + (ahead ? j.aheadMs : 0));
}

async function waitUntilSpillDirEmpty(dir: string): Promise<void> {
  for (;;) {
    if ((await listSpillDir(dir)).pending.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Faults go in at the sink interface only: the store's async append, wrapped. */
function injectSinkFaults(store: LmdbMemoryStore, cfg: WorkloadConfig): { midBatch(): Promise<void> } {
  const real = store.appendProvenanceBatch.bind(store);
  const started = Date.now();
  let inFlight = 0;
  let completed = 0;
  if (cfg.syncWriteFails) {
    store.appendProvenanceBatchSync = () => {
      throw new Error('injected: sync sink write failed');
    };
  }
  const midBatch = async (): Promise<void> => {
    // A put under way while another has finished, or several under way at once (several writes in flight).
    while (!(inFlight > 0 && (completed > 0 || inFlight > 1))) await new Promise((r) => setTimeout(r, 1));
  };
  if (!cfg.sinkDelayMs && !cfg.sinkFailRate && !cfg.sinkFailEvery && !cfg.sinkDownMs && !cfg.midBatch && !cfg.sinkRefuses) return { midBatch };
  let calls = 0;
  const refused = new Set((cfg.sinkRefuses ?? []).map((i) => cueOf(cfg.cuePrefix ?? 'c', i)));
  store.appendProvenanceBatch = async (pairs, context) => {
    inFlight++;
    const call = ++calls;
    try {
      if (cfg.sinkDelayMs) await new Promise((r) => setTimeout(r, cfg.sinkDelayMs));
      if (cfg.sinkDownMs && Date.now() - started < cfg.sinkDownMs) throw new Error('injected: sink down');
      if (cfg.sinkFailRate && Math.random() < cfg.sinkFailRate) throw new Error('injected: sink call failed');
      if (cfg.sinkFailEvery && call % cfg.sinkFailEvery === 0) throw new Error('injected: every third sink call fails');
      if (refused.size && pairs.some(([, e]) => refused.has(e.cue))) throw new Error('injected: the sink refuses this pair');
      return await real(pairs, context);
    } finally {
      inFlight--;
      completed++;
    }
  };
  return { midBatch };
}

/**
 * The calls a caller should not make, mixed into a workload: poisoned calls (must throw,
 * taking nothing of the call) and entries carrying an id read back from the store, given twice.
 */
class ExtraCalls {
  poisonRejected = 0;
  poisonAccepted = 0;
  get active(): boolean {
    return !!(this.cfg.poisonEvery || this.cfg.callerIdEvery);
  }

  constructor(
    private readonly cfg: WorkloadConfig,
    private readonly store: LmdbMemoryStore,
    private readonly queue: ReturnType<LmdbMemoryStore['enableProvenanceQueue']>,
  ) {}

  async after(batch: number): Promise<void> {
    const { poisonEvery, callerIdEvery } = this.cfg;
    if (poisonEvery && batch % poisonEvery === 0) {
      const loop: Record<string, unknown> = { n: batch };
      loop.self = loop;
      const poisons: unknown[] = [loop, 10n, Number.NaN, () => 1, undefined, new Date()];
      const bad = [['r0', { ts: new Date().toISOString(), cue: `neighbour${batch}`, sessionId: 'poison' }], ['r0', { ts: new Date().toISOString(), cue: 'poison', sessionId: 'poison', meta: poisons[batch % poisons.length] }]];
      try {
        this.queue.enqueue(bad as ProvenancePair[]);
        this.poisonAccepted++;
      } catch {
        this.poisonRejected++;
      }
    }
    if (callerIdEvery && batch % callerIdEvery === 0) {
      // An entry written now, read back with its id, then given back twice with other cues.
      await this.store.appendProvenanceBatch([['r1', { ts: new Date().toISOString(), cue: `held${batch}`, sessionId: 'ids' }]]);
      const held = (await this.store.get('r1'))!.provenance.find((e) => e.cue === `held${batch}`)!;
      this.queue.enqueue([['r1', { ...held, cue: `again${batch}` }]]);
      this.queue.enqueue([['r1', { ...held, cue: `again${batch}` }], ['r2', { ts: held.ts, cue: `twin${batch}`, sessionId: 'ids', entryId: held.entryId! }]]);
    }
  }

  report(): void {
    if (this.cfg.poisonEvery) process.stdout.write(`poison rejected ${this.poisonRejected} accepted ${this.poisonAccepted}\n`);
  }
}
