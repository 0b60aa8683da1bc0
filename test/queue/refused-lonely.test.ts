// A pair the sink always refuses, read back with no pair beside it in its chunk (a file of
// one pair, or a file's last chunk of one): nothing can tell its refusal from a sink that is
// down, so its file waits — but the files behind it are read back meanwhile, and once the
// sink has taken their calls the pair, refused alone again, is set aside. Before (session 17)
// the round stopped at such a file every time: one poison pair held every later file back
// for ever (0 of 600 good pairs arrived in 20 s, with 678 sink calls). (Two refused pairs
// side by side still hold their file and those behind it: guarantees.md.)
//
// Checked: with read-back.ts's lonely files read like any other alone file (first, stopping
// the round), both tests time out with none of the later files' pairs in the sink; with
// `sinkUpSince` left false, the lonely pair is never set aside and both fail too.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink } from '../../src/sink.js';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Spill files as a queue writes them, `sizes[i]` pairs each (cues c0, c1, … in enqueue order). */
async function spillFiles(dir: string, sizes: number[]): Promise<string[]> {
  const cues: string[] = [];
  for (const size of sizes) {
    const ids = reserveEntryIds(size);
    const pairs: ProvenancePair[] = Array.from({ length: size }, (_, i) => {
      const cue = `c${cues.length}`;
      cues.push(cue);
      return ['r1', { ts: new Date().toISOString(), cue, sessionId: 's', entryId: formatEntryId(ids.ms, ids.seq0 + i) }];
    });
    await new SpillWriter(dir).append(pairs);
  }
  return cues;
}

/** A sink with one call in flight that refuses every call holding one of `poison`. */
class PoisonSink implements ProvenanceSink {
  readonly arrived = new Set<string>();
  calls = 0;
  constructor(private readonly poison: Set<string>) {}
  appendProvenanceBatch(pairs: ProvenancePair[]): void {
    this.calls++;
    if (pairs.some(([, e]) => this.poison.has(e.cue))) throw new Error('refused: poison pair');
    for (const [, e] of pairs) this.arrived.add(e.cue);
  }
}

async function readBack(sizes: number[], poison: string[]) {
  const dir = join(tempDir(), 'spill');
  const cues = await spillFiles(dir, sizes);
  const sink = new PoisonSink(new Set(poison));
  const q = new ProvenanceWriteQueue(sink, {
    spillDir: dir, logger: silentLogger, durability: 'memory', idlePollMs: 20, retryBaseMs: 5, retryMaxMs: 50,
    maxAttempts: 2, maxBatchPairs: 500, exitHook: false,
  });
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  q.start();
  const good = cues.filter((c) => !poison.includes(c));
  const pending = () => readdirSync(dir).filter((n) => n.endsWith('.jsonl') && !n.includes('.failed-'));
  expect(await until(() => good.every((c) => sink.arrived.has(c)) && pending().length === 0, 30_000), 'every good pair in the sink, no file left pending').toBe(true);
  const setAside = readdirSync(dir).filter((n) => n.includes('-refused.failed-')).map((n) => readFileSync(join(dir, n), 'utf8')).join('');
  return { sink, setAside };
}

describe('a pair the sink refuses with none beside it in its chunk', () => {
  it('a file of one such pair: the files behind it are read back, and the pair is set aside', { timeout: 60_000 }, async () => {
    const { setAside } = await readBack([1, 300, 300], ['c0']);
    expect(setAside).toContain('"cue":"c0"');
  });

  it("a file's last chunk of one such pair: the rest of it and the files behind it are read back, the pair set aside", { timeout: 60_000 }, async () => {
    const { setAside } = await readBack([501, 300], ['c500']);
    expect(setAside).toContain('"cue":"c500"');
  });

});
