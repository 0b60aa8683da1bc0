// Probe (not a row): row 5's drain alone, repeatable (session 10). `make DIR`: the row's
// overload (a store behind a 20k/s throttle, offered 10x for 20 s), then the sink halted
// and the queue stopped, leaving the backlog in DIR/spill beside DIR/store (~3.6 M pairs in
// ~470 files). `drain FIXTURE [PROFILE]`: a copy of the fixture (FILES=n: its first n spill
// files only) drained by a fresh queue on the store; prints pairs/s, CPU seconds by thread
// (main, V8's helpers, libuv's pool where lmdb-js commits), LMDB transactions and the bytes
// the process wrote; with PROFILE, a CPU profile of the drain only (HEAP=major|all: and a
// sampling heap profile beside it). MEM=1 (session 11): anonymous RSS, V8's heap and
// ArrayBuffers sampled every 50 ms (bench/probe-memory.ts), their peaks over the fresh
// process's baseline, the pairs in calls, and the same after the drain and a full GC;
// MIDSNAP=file: a heap snapshot once 50,000 pairs are in calls; SNAPSHOT=file: one after.
// Run with: node --expose-gc --import tsx bench/probe-row5-drain.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { silentLogger } from '../src/log.js';
import { ProvenanceWriteQueue } from '../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../src/schemas.js';
import type { ProvenanceSink, SinkWriteContext, SinkWriteResult } from '../src/sink.js';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { makePairs, openStoreWithRecords, sleep } from './fixtures.js';
import { MemorySampler, rssAnonBytes } from './probe-memory.js';

const RECORDS = 1000;

/** CPU seconds (user+system) of each thread of this process, by thread name. */
function threadCpu(): Record<string, number> {
  const out: Record<string, number> = {};
  const tick = 100; // USER_HZ
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = `${stat.slice(stat.indexOf('(') + 1, close)}${tid === String(process.pid) ? '(main)' : `#${tid}`}`;
      const f = stat.slice(close + 2).split(' ');
      out[name] = (out[name] ?? 0) + (Number(f[11]) + Number(f[12])) / tick;
    } catch {}
  }
  return out;
}

function cpuDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const k of Object.keys(b)) {
    const v = +(b[k]! - (a[k] ?? 0)).toFixed(2);
    if (v > 0.05) d[k] = v;
  }
  return d;
}

class Throttled implements ProvenanceSink {
  private readyAt = 0;
  halted = false;
  /** Pairs in calls not yet answered. */
  inFlightPairs = 0;
  readonly maxConcurrentWrites: number;
  constructor(private readonly store: LmdbMemoryStore, private readonly capacity: number) {
    this.maxConcurrentWrites = store.maxConcurrentWrites;
  }
  async appendProvenanceBatch(pairs: ProvenancePair[], context?: SinkWriteContext): Promise<SinkWriteResult | void> {
    if (this.halted) throw new Error('halted');
    if (this.capacity === Infinity) {
      this.inFlightPairs += pairs.length;
      try {
        return await this.store.appendProvenanceBatch(pairs, context);
      } finally {
        this.inFlightPairs -= pairs.length;
      }
    }
    this.readyAt = Math.max(this.readyAt, performance.now()) + (pairs.length * 1000) / this.capacity;
    const result = await this.store.appendProvenanceBatch(pairs, context);
    const wait = this.readyAt - performance.now();
    if (wait > 0) await sleep(wait);
    return result;
  }
}

async function make(dir: string): Promise<void> {
  const store = await openStoreWithRecords(join(dir, 'store'), RECORDS);
  const sink = new Throttled(store, 20_000);
  const queue = new ProvenanceWriteQueue(sink, { spillDir: join(dir, 'spill'), logger: silentLogger });
  queue.start();
  const perSecond = 200_000;
  const t0 = performance.now();
  let sent = 0;
  let k = 0;
  for (let now = t0; now < t0 + 20_000; now = performance.now()) {
    const owed = Math.min((perSecond * (now - t0)) / 1000, sent + perSecond * 0.01);
    const ts = new Date().toISOString();
    while (sent < owed) {
      const n = 1 + (k++ % 10);
      queue.enqueue(makePairs(sent, n, RECORDS, ts));
      sent += n;
    }
    await sleep(1);
  }
  sink.halted = true;
  await queue.stop({ timeoutMs: 30_000 });
  const stats = queue.stats();
  await store.close();
  console.log(JSON.stringify({ offered: sent, written: stats.writtenPairs, spilledFiles: readdirSync(join(dir, 'spill')).length }));
}

async function drain(fixture: string, profile?: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'provq-probe5-'));
  try {
    const files = Number(process.env.FILES ?? Infinity);
    if (!Number.isFinite(files)) execFileSync('cp', ['-a', `${fixture}/.`, dir]);
    else {
      // The store and the first FILES spill files only: a shorter drain of the same backlog.
      execFileSync('cp', ['-a', `${fixture}/store`, `${fixture}/spill-journal`, dir]);
      execFileSync('mkdir', ['-m', '700', join(dir, 'spill')]);
      const names = readdirSync(join(fixture, 'spill')).filter((n) => n.endsWith('.jsonl')).sort().slice(0, files);
      execFileSync('cp', ['-a', join(fixture, 'spill', '.provq-sink'), ...names.map((n) => join(fixture, 'spill', n)), join(dir, 'spill')]);
    }
    const store = await LmdbMemoryStore.open({ path: join(dir, 'store'), logger: silentLogger });
    const env = (store as unknown as { env: { getStats(): Record<string, number> } }).env;
    const txn0 = env.getStats().lastTxnId ?? 0;
    const entries0 = store.stats().entries;
    const spillDir = join(dir, 'spill');
    // As the row: the store behind a wrapper (at full speed), so the spill dir is the anonymous sink's.
    const sink = new Throttled(store, Infinity);
    const queue = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger });
    let gcMs = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMs += e.duration;
    });
    obs.observe({ entryTypes: ['gc'] });
    const session = new Session();
    if (profile) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      if (process.env.HEAP) {
        await session.post('HeapProfiler.enable');
        await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.HEAP === 'all' });
      }
    }
    globalThis.gc?.();
    const cpu0 = process.cpuUsage();
    const threads0 = threadCpu();
    const io = () => Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
    const io0 = io();
    const mem = process.env.MEM ? new MemorySampler(() => sink.inFlightPairs) : null;
    // MIDSNAP=file: one heap snapshot (live objects only) once 50,000 pairs are in calls.
    let midSnap = process.env.MIDSNAP;
    const snapTimer = setInterval(() => {
      if (midSnap && sink.inFlightPairs >= 50_000) {
        writeHeapSnapshot(midSnap);
        console.error(`snapshot at ${sink.inFlightPairs} pairs in flight`);
        midSnap = undefined;
      }
    }, 20);
    const t0 = performance.now();
    queue.start();
    for (;;) {
      await queue.flush(600_000);
      if (readdirSync(spillDir).filter((n) => n.endsWith('.jsonl')).length === 0) break;
      await sleep(50);
    }
    const seconds = (performance.now() - t0) / 1000;
    mem?.stop();
    clearInterval(snapTimer);
    const cpu = process.cpuUsage(cpu0);
    const threads = cpuDelta(threads0, threadCpu());
    const writtenMB = Math.round((io() - io0) / 1e6);
    if (profile) {
      const { profile: p } = await session.post('Profiler.stop');
      writeFileSync(profile, JSON.stringify(p));
      if (process.env.HEAP) {
        const { profile: h } = await session.post('HeapProfiler.stopSampling');
        writeFileSync(`${profile}.heapprofile`, JSON.stringify(h));
      }
    }
    obs.disconnect();
    const pairs = queue.stats().respooledPairs;
    await queue.stop();
    const txns = (env.getStats().lastTxnId ?? 0) - txn0;
    if (process.env.STATS) {
      console.error(JSON.stringify(env.getStats()));
      console.error(JSON.stringify((store as any).provenance.getStats()));
    }
    const entries = store.stats().entries - entries0;
    globalThis.gc?.();
    const anonAfterGcMB = mem ? +((rssAnonBytes() - mem.baseline.anon) / 1e6).toFixed(1) : undefined;
    const heapAfterGcMB = mem ? +((process.memoryUsage().heapUsed - mem.baseline.heapUsed) / 1e6).toFixed(1) : undefined;
    const afterGc = mem ? mem.overBaseline() : undefined;
    if (process.env.SNAPSHOT) writeHeapSnapshot(process.env.SNAPSHOT);
    await store.close();
    console.log(
      JSON.stringify({
        pairs,
        entries,
        seconds: +seconds.toFixed(2),
        perSecond: Math.round(pairs / seconds),
        userS: +(cpu.user / 1e6).toFixed(2),
        sysS: +(cpu.system / 1e6).toFixed(2),
        gcS: +(gcMs / 1000).toFixed(2),
        txns,
        writtenMB,
        threads,
        load: execFileSync('cat', ['/proc/loadavg']).toString().split(' ')[0],
        ...(mem ? { mem: mem.report(), anonAfterDrainAndGcMB: anonAfterGcMB, heapAfterDrainAndGcMB: heapAfterGcMB, afterGc } : {}),
      }),
    );
  } finally {
    execFileSync('rm', ['-rf', dir]);
  }
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'make') await make(a!);
else await drain(a!, b);
