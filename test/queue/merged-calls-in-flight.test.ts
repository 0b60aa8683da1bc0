// Merged read-back with several sink calls in flight: a file whose pairs are split across
// two calls is deleted only once both have resolved. The first may succeed while the
// second is still under way and then fails: the file must still be there.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink } from '../../src/sink.js';
import { RecordingSink } from '../helpers/sinks.js';
import { handLine, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Takes several calls at once; the call holding `cue` waits until another call succeeded, then fails `times` times. */
class SecondCallFailsLate extends RecordingSink {
  readonly maxConcurrentWrites = 4;
  private otherDone = false;
  constructor(
    private readonly cue: string,
    private times: number,
  ) {
    super();
  }
  override async appendProvenanceBatch(pairs: ProvenancePair[]): Promise<void> {
    if (this.times > 0 && pairs.some(([, e]) => e.cue === this.cue)) {
      await until(() => this.otherDone, 10_000);
      this.times--;
      throw new Error('injected: this call fails after the other one succeeded');
    }
    await super.appendProvenanceBatch(pairs);
    this.otherDone = true;
  }
}

describe('merged read-back, calls in flight', () => {
  // Checked: with settle()'s `f.open > 0` made `false`, or `!f.sent || f.open > 0` made
  // `!f.sent && f.open > 0` (merged-read-back.ts), f1 was deleted when the first call
  // succeeded while the second, holding its last 10 pairs, was still in flight; that call
  // then failed and f1-20…f1-29 were lost (50 of 60 cues in the sink).
  it('a file split across two calls in flight is kept when the first succeeds and the second fails: nothing lost', async () => {
    const dir = join(tempDir(), 'spill');
    const lines = (f: number) => Array.from({ length: 30 }, (_, i) => handLine('r1', `f${f}-${i}`));
    writeRawFile(dir, '1000000000000-000000-1.jsonl', `${lines(0).join('\n')}\n`);
    writeRawFile(dir, '1000000000001-000000-1.jsonl', `${lines(1).join('\n')}\n`); // calls of 50: f1's first 20 go with f0, its last 10 in the second call
    const sink = new SecondCallFailsLate('f1-29', 2); // both attempts of the second call fail: given up, read back again later
    const q = new ProvenanceWriteQueue(sink, { spillDir: dir, logger: silentLogger, durability: 'memory', maxBatchPairs: 50, idlePollMs: 20, retryBaseMs: 5, retryMaxMs: 20, maxAttempts: 2, exitHook: false });
    cleanups.push(() => q.stop({ timeoutMs: 2000 }));
    q.start();
    expect(await until(() => readdirSync(dir).filter((n) => n.endsWith('.jsonl')).length === 0, 30_000)).toBe(true);
    expect(new Set(sink.cues()).size).toBe(60);
  });

  // Checked: with `ok = done.ok && !(unknownRecords…)` made `true` (merged-read-back.ts), the
  // merged call's unknown-record pair was taken as written: the file was deleted and the
  // pair was in no file at all (nothing set aside, quarantinedFiles 0).
  it('a merged call that names records the sink does not know sets those pairs aside in a quarantined file: none lost', async () => {
    const dir = join(tempDir(), 'spill');
    writeRawFile(dir, '1000000000000-000000-1.jsonl', `${handLine('r1', 'known')}\n${handLine('ghost', 'unknown')}\n`);
    const recorded = new RecordingSink();
    // A sink that has no record 'ghost': it names those pairs back, as a store does.
    const noGhosts: ProvenanceSink = {
      async appendProvenanceBatch(pairs: ProvenancePair[]) {
        const unknownRecords = pairs.filter(([id]) => id === 'ghost');
        await recorded.appendProvenanceBatch(pairs.filter(([id]) => id !== 'ghost'));
        return { unknownRecords };
      },
    };
    const q = new ProvenanceWriteQueue(noGhosts, { spillDir: dir, logger: silentLogger, durability: 'memory', idlePollMs: 20, retryBaseMs: 5, retryMaxMs: 20, maxAttempts: 2, exitHook: false });
    cleanups.push(() => q.stop({ timeoutMs: 2000 }));
    q.start();
    expect(await until(() => q.stats().quarantinedFiles === 1, 30_000)).toBe(true);
    const setAside = readdirSync(dir).filter((n) => /-unknown-records\.failed-\d+\.jsonl$/.test(n));
    expect(setAside).toHaveLength(1);
    expect(readFileSync(join(dir, setAside[0]!), 'utf8')).toContain('"recordId":"ghost"');
    expect(recorded.cues()).toContain('known');
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl') && !n.includes('.failed-'))).toEqual([]);
  });
});
