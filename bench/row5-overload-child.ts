// Row 5's child process: a real store behind a sink throttled to `sinkCapacity` pairs/s, a
// queue built directly on it, offered `overloadFactor` × that for `overloadSeconds` while RSS
// is sampled; then the throttle is lifted, the spill dir drained (for at most
// `drainTimeoutSeconds`: then the rest stays spilled), and every pair audited.
// Prints one JSON line of Row5Figures. Run with --expose-gc (for the RSS baseline).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import { ProvenanceWriteQueue } from '../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../src/schemas.js';
import type { ProvenanceSink, SinkWriteContext, SinkWriteResult } from '../src/sink.js';
import { listSpillDir } from '../src/spill/spill-dir.js';
import { readSpillFile } from '../src/spill/spill-reader.js';
import type { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { makePairs, openStoreWithRecords, recordId, sleep } from './fixtures.js';

export interface Row5Config {
  dir: string;
  records: number;
  sinkCapacity: number;
  overloadFactor: number;
  overloadSeconds: number;
  drainTimeoutSeconds: number;
}

export interface Row5Figures {
  baselineRssBytes: number;
  /** Highest RSS sampled (every 100 ms) during the overload. */
  peakRssBytes: number;
  /** False where the OS does not tell (off Linux): the anon figures are 0 then. */
  rssAnonKnown: boolean;
  /** The same for anonymous memory only (heap, buffers), without LMDB's file-backed map. */
  baselineRssAnonBytes: number;
  peakRssAnonBytes: number;
  /** Heap in use after a full collection, before the overload and at its end: what is really held. */
  baselineLiveHeapBytes: number;
  liveHeapAtOverloadEndBytes: number;
  /** Highest RSS and anonymous RSS while the spill dir drains. */
  drainPeakRssBytes: number;
  drainPeakRssAnonBytes: number;
  offeredPairs: number;
  offeredPerSecond: number;
  overloadSeconds: number;
  sinkPairsDuringOverload: number;
  spilledPairs: number;
  spilledFiles: number;
  spillPerSecond: number;
  /** Pending in memory when the overload stopped. */
  pendingAtOverloadEnd: number;
  drained: boolean;
  drainSeconds: number;
  respooledPairs: number;
  respoolPerSecond: number;
  /** Enqueued pairs found in the store. */
  stored: number;
  /** Enqueued pairs not in the store but still in a spill file (only when the drain timed out). */
  waitingInSpill: number;
  lost: number;
  duplicated: number;
}

const RSS_SAMPLE_MS = 100;
/** The load generator enqueues at most this share of a second's load per turn of the loop. */
const MAX_TURN_SECONDS = 0.01;

/** Anonymous resident memory (Linux /proc), undefined where there is none to read. */
function rssAnonBytes(): number | undefined {
  try {
    const kb = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

class RssPeaks {
  rss = 0;
  anon = 0;

  sample(): void {
    this.rss = Math.max(this.rss, process.memoryUsage.rss());
    this.anon = Math.max(this.anon, rssAnonBytes() ?? 0);
  }
}

/**
 * The store's appendProvenanceBatch, paced so no more than `capacity` pairs/s get through
 * until lifted. It declares the store's own calls in flight: without that, a wrapper is a
 * custom sink with 1 call at a time, and the drain after the overload measured one 256-pair
 * LMDB transaction (two fsyncs) per call, not the store (239 pairs per transaction, 12k/s).
 * The pacing holds with many calls in flight: each call reserves its share in turn.
 */
class ThrottledSink implements ProvenanceSink {
  private readyAt = 0;
  private mode: 'throttled' | 'full speed' | 'halted' = 'throttled';
  readonly maxConcurrentWrites: number;

  constructor(
    private readonly store: LmdbMemoryStore,
    private readonly capacity: number,
  ) {
    this.maxConcurrentWrites = store.maxConcurrentWrites;
  }

  async appendProvenanceBatch(pairs: ProvenancePair[], context?: SinkWriteContext): Promise<SinkWriteResult | void> {
    if (this.mode === 'halted') throw new Error('row 5: the drain timed out; the rest stays in the spill dir');
    // The queue's context goes through, as to the store's own queue: without it the store
    // checks every pair again and puts every pair conditionally (a promise a put), as for a
    // caller it knows nothing about — what its own queue never makes it do.
    if (this.mode === 'full speed') return this.store.appendProvenanceBatch(pairs, context);
    // Idle time earns no credit: a call may start no earlier than the previous one's share ended.
    this.readyAt = Math.max(this.readyAt, performance.now()) + (pairs.length * 1000) / this.capacity;
    const result = await this.store.appendProvenanceBatch(pairs, context);
    const wait = this.readyAt - performance.now();
    if (wait > 0) await sleep(wait);
    return result;
  }

  lift(): void {
    this.mode = 'full speed';
  }

  /** Fails every call, so the queue stops at once and leaves what is not yet written in the spill dir. */
  halt(): void {
    this.mode = 'halted';
  }
}

/** Enqueues 1..10-pair batches (as recalls with varying k) at `perSecond`, paced by a 1 ms timer. */
async function offerLoad(queue: ProvenanceWriteQueue, cfg: Row5Config): Promise<{ pairs: number; seconds: number }> {
  const perSecond = cfg.overloadFactor * cfg.sinkCapacity;
  const t0 = performance.now();
  const end = t0 + cfg.overloadSeconds * 1000;
  let sent = 0;
  let k = 0;
  for (let now = t0; now < end; now = performance.now()) {
    // If enqueue cannot keep up, the offered rate falls (and is reported) instead of the loop starving.
    const owed = Math.min((perSecond * (now - t0)) / 1000, sent + perSecond * MAX_TURN_SECONDS);
    const ts = new Date().toISOString();
    while (sent < owed) {
      const n = 1 + (k++ % 10);
      queue.enqueue(makePairs(sent, n, cfg.records, ts));
      sent += n;
    }
    await sleep(1);
  }
  return { pairs: sent, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Where each enqueued pair (known by its cue number) ended up: in the store, how many times,
 * or else still in a spill file. Typed arrays, not maps: a full run audits millions.
 */
async function auditPairs(store: LmdbMemoryStore, spillDir: string, records: number, enqueued: number) {
  const copies = new Uint8Array(enqueued);
  let duplicated = 0;
  for (let r = 0; r < records; r++) {
    for (const entry of (await store.get(recordId(r)))?.provenance ?? []) {
      if (copies[cueNumber(entry.cue)]!++ > 0) duplicated++;
    }
  }
  const spilled = new Uint8Array(enqueued);
  for (const name of (await listSpillDir(spillDir)).pending) {
    const content = await readSpillFile(join(spillDir, name), name);
    if (content.kind === 'pairs') for (const [, entry] of content.pairs) spilled[cueNumber(entry.cue)] = 1;
  }
  let stored = 0;
  let waitingInSpill = 0;
  for (let i = 0; i < enqueued; i++) {
    if (copies[i]! > 0) stored++;
    else if (spilled[i]) waitingInSpill++;
  }
  return { stored, waitingInSpill, lost: enqueued - stored - waitingInSpill, duplicated };
}

/** makePairs gives pair i the cue `cue <i>`. */
function cueNumber(cue: string): number {
  return Number(cue.slice(4));
}

async function main(cfg: Row5Config): Promise<Row5Figures> {
  const storePath = join(cfg.dir, 'store');
  const spillDir = join(cfg.dir, 'spill');
  const store = await openStoreWithRecords(storePath, cfg.records);
  const sink = new ThrottledSink(store, cfg.sinkCapacity);
  const queue = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger });
  queue.start();

  globalThis.gc?.();
  const baselineLiveHeapBytes = process.memoryUsage().heapUsed;
  const baseline = new RssPeaks();
  baseline.sample();
  const overloadPeaks = new RssPeaks();
  const drainPeaks = new RssPeaks();
  let peaks = overloadPeaks;
  const sampler = setInterval(() => peaks.sample(), RSS_SAMPLE_MS);

  const offered = await offerLoad(queue, cfg);
  overloadPeaks.sample();
  const atEnd = queue.stats();
  globalThis.gc?.();
  const liveHeapAtOverloadEndBytes = process.memoryUsage().heapUsed;

  peaks = drainPeaks;
  sink.lift();
  const t0 = performance.now();
  const drained = (await queue.flush(cfg.drainTimeoutSeconds * 1000)) && (await listSpillDir(spillDir)).pending.length === 0;
  const drainSeconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  drainPeaks.sample();
  const respooledPairs = queue.stats().respooledPairs - atEnd.respooledPairs;

  if (!drained) sink.halt();
  await queue.stop();
  const audit = await auditPairs(store, spillDir, cfg.records, offered.pairs);
  await store.close();
  return {
    baselineRssBytes: baseline.rss,
    baselineLiveHeapBytes,
    liveHeapAtOverloadEndBytes,
    peakRssBytes: overloadPeaks.rss,
    rssAnonKnown: rssAnonBytes() !== undefined,
    baselineRssAnonBytes: baseline.anon,
    peakRssAnonBytes: overloadPeaks.anon,
    drainPeakRssBytes: drainPeaks.rss,
    drainPeakRssAnonBytes: drainPeaks.anon,
    offeredPairs: offered.pairs,
    offeredPerSecond: offered.pairs / offered.seconds,
    overloadSeconds: offered.seconds,
    sinkPairsDuringOverload: atEnd.writtenPairs,
    spilledPairs: atEnd.spilledPairs,
    spilledFiles: atEnd.spilledFiles,
    spillPerSecond: atEnd.spilledPairs / offered.seconds,
    pendingAtOverloadEnd: atEnd.pendingPairs,
    drained,
    drainSeconds,
    respooledPairs,
    respoolPerSecond: respooledPairs / drainSeconds,
    ...audit,
  };
}

const figures = await main(JSON.parse(process.argv[2]!) as Row5Config);
process.stdout.write(`${JSON.stringify(figures)}\n`);
