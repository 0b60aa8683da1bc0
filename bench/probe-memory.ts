// Probe helper (not a row): where a process's anonymous memory is while something runs
// (session 11, row 5's drain). Samples every `everyMs`: anonymous RSS (/proc/self/status),
// V8's heap (committed, used, young generation), ArrayBuffers and what the caller counts
// (pairs in sink calls); at each new anonymous peak (every 4 MiB more) it reads
// /proc/self/smaps once and splits the anonymous memory into malloc's brk heap ([heap]),
// V8's committed heap, and the rest (malloc's thread arenas and large mmaps, stacks).
// Run the process with MALLOC_ARENA_MAX=1 to send every thread's malloc to [heap].
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const MIB = 2 ** 20;
const NEW_PEAK_STEP = 4 * MIB;

export function rssAnonBytes(): number {
  const kb = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Anonymous RSS by mapping kind: malloc's brk heap, and every other anonymous mapping. */
export function anonByKind(): { brkHeap: number; otherAnon: number } {
  let brkHeap = 0;
  let otherAnon = 0;
  let name = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1]!;
      continue;
    }
    const anon = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (!anon) continue;
    const bytes = Number(anon[1]) * 1024;
    if (name === '[heap]') brkHeap += bytes;
    else otherAnon += bytes;
  }
  return { brkHeap, otherAnon };
}

export interface MemorySample {
  atMs: number;
  anon: number;
  heapTotal: number;
  heapUsed: number;
  newSpace: number;
  oldSpace: number;
  largeObjects: number;
  arrayBuffers: number;
  external: number;
  inFlightPairs: number;
  brkHeap?: number;
  otherAnon?: number;
}

export class MemorySampler {
  readonly baseline: MemorySample;
  peak: MemorySample;
  readonly maxOf: Partial<Record<keyof MemorySample, number>> = {};
  private readonly t0 = performance.now();
  private readonly timer: NodeJS.Timeout;
  private lastSmapsAt = 0;

  constructor(
    private readonly inFlight: () => number,
    everyMs = 50,
  ) {
    this.baseline = this.sample(true);
    this.peak = this.baseline;
    this.lastSmapsAt = this.baseline.anon;
    this.timer = setInterval(() => this.tick(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.tick();
  }

  /** MB over the baseline, per field, at the anon peak, and each field's own maximum. */
  report(): Record<string, unknown> {
    const mb = (n: number | undefined) => (n === undefined ? undefined : +(n / 1e6).toFixed(1));
    const over = (s: MemorySample) =>
      Object.fromEntries(
        Object.entries(s)
          .filter(([k]) => k !== 'atMs' && k !== 'inFlightPairs')
          .map(([k, v]) => [k, mb((v as number) - ((this.baseline as unknown as Record<string, number>)[k] ?? 0))]),
      );
    return {
      baselineAnonMB: mb(this.baseline.anon),
      atAnonPeak: { atS: +(this.peak.atMs / 1000).toFixed(1), inFlightPairs: this.peak.inFlightPairs, ...over(this.peak) },
      maxOverBaseline: Object.fromEntries(
        Object.entries(this.maxOf).map(([k, v]) => [k, k === 'inFlightPairs' ? v : mb(v! - ((this.baseline as unknown as Record<string, number>)[k] ?? 0))]),
      ),
    };
  }

  /** MB over the baseline now, with the smaps split. */
  overBaseline(): Record<string, number | undefined> {
    const s = this.sample(true);
    const base = this.baseline as unknown as Record<string, number>;
    return Object.fromEntries(
      Object.entries(s)
        .filter(([k]) => k !== 'atMs' && k !== 'inFlightPairs')
        .map(([k, v]) => [k, +(((v as number) - (base[k] ?? 0)) / 1e6).toFixed(1)]),
    );
  }

  private tick(): void {
    const s = this.sample(false);
    for (const [k, v] of Object.entries(s) as [keyof MemorySample, number][]) {
      if (k !== 'atMs' && v !== undefined) this.maxOf[k] = Math.max(this.maxOf[k] ?? -Infinity, v);
    }
    if (s.anon > this.peak.anon) {
      if (s.anon >= this.lastSmapsAt + NEW_PEAK_STEP) {
        Object.assign(s, anonByKind());
        this.lastSmapsAt = s.anon;
      } else if (this.peak.brkHeap !== undefined) {
        // keep the last split seen near this peak
        s.brkHeap = this.peak.brkHeap;
        s.otherAnon = this.peak.otherAnon;
      }
      this.peak = s;
    }
  }

  private sample(withSmaps: boolean): MemorySample {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size]));
    const s: MemorySample = {
      atMs: performance.now() - this.t0,
      anon: rssAnonBytes(),
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      newSpace: spaces.new_space ?? 0,
      oldSpace: spaces.old_space ?? 0,
      largeObjects: (spaces.large_object_space ?? 0) + (spaces.new_large_object_space ?? 0),
      arrayBuffers: m.arrayBuffers,
      external: m.external,
      inFlightPairs: this.inFlight(),
    };
    if (withSmaps) Object.assign(s, anonByKind());
    return s;
  }
}
