// The journal as its owner sees it while the process lives: segments within
// journalSegmentBytes whatever the turns, every pair in order, deleted once saved, and a
// journal that cannot be written costs crash protection only, said once and healed once.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { SpillLine } from '../../src/schemas.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const segments = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('-journal.jsonl')).sort();
  } catch {
    return [];
  }
};

function startQueue(sink: RecordingSink, journalDir: string, opts: object = {}): ProvenanceWriteQueue {
  const q = new ProvenanceWriteQueue(sink, { spillDir: join(tempDir(), 'spill'), journalDir, logger: silentLogger, exitHook: false, coalesceMs: 0, idlePollMs: 20, ...opts });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  return q;
}

/** One turn of the event loop per batch: the journal writes once per turn. */
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('the journal of a live queue', () => {
  // Checked: with the rotation test in segmentFor made false, every turn goes to one segment
  // of ~200 KB and this fails; with the pairs cap `cur.pairs + pairs > MAX_SPILL_FILE_PAIRS`
  // made true, each turn gets a segment of its own (50 segments) and this fails.
  it('keeps every segment within journalSegmentBytes over many turns, every pair once and in enqueue order', async () => {
    const journalDir = join(tempDir(), 'journal');
    const sink = new RecordingSink();
    sink.hold(); // nothing is saved: the journal keeps everything
    const q = startQueue(sink, journalDir, { journalSegmentBytes: 32 * 1024 });
    const cues: string[] = [];
    for (let t = 0; t < 50; t++) {
      const batch = Array.from({ length: 20 }, (_, i) => pair('r1', `t${t}-${i}`));
      cues.push(...batch.map(([, e]) => e.cue));
      q.enqueue(batch);
      await nextTurn();
    }
    const segs = segments(journalDir);
    for (const s of segs) expect(statSync(join(journalDir, s)).size).toBeLessThanOrEqual(32 * 1024);
    const lines = segs.flatMap((s) => readFileSync(join(journalDir, s), 'utf8').trim().split('\n'));
    expect(lines.map((l) => (JSON.parse(l) as SpillLine).entry.cue)).toEqual(cues);
    // Each segment is filled before the next is started (32 KiB holds several 20-pair turns).
    expect(segs.length).toBeGreaterThan(1);
    expect(segs.length).toBeLessThan(50 / 2);
    sink.release();
  });

  // Checked: with release() never deleting the current segment (its `this.remove(cur)`
  // block emptied), or never the full ones (the while loop removed), segments stay after
  // everything is saved and this fails.
  it('deletes its segments once every pair in them is saved: an idle queue leaves no journal behind', async () => {
    const journalDir = join(tempDir(), 'journal');
    const sink = new RecordingSink();
    sink.hold();
    const q = startQueue(sink, journalDir, { journalSegmentBytes: 8 * 1024 });
    for (let t = 0; t < 20; t++) {
      q.enqueue(Array.from({ length: 20 }, (_, i) => pair('r1', `t${t}-${i}`)));
      await nextTurn();
    }
    expect(segments(journalDir).length).toBeGreaterThan(1);
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.pairs).toHaveLength(400);
    // The last segment goes once it has been quiet for half a second.
    expect(await until(() => segments(journalDir).length === 0, 10_000)).toBe(true);
  });

  // Checked: with the error logged on every failed write (`failures++ === 0` made true),
  // three errors are logged; with the recovery line dropped (`failures > 0` made false), none
  // is; with journalErrors not counted, the count is 0.
  it('a journal it cannot write: pairs still reach the sink, the failures are counted, said once, and its recovery once', async () => {
    const base = tempDir();
    const journalDir = join(base, 'journal');
    const lines: { level: string; msg: string }[] = [];
    const at = (level: string) => (_f: object, msg: string) => void lines.push({ level, msg });
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const sink = new RecordingSink();
    const q = startQueue(sink, journalDir, { logger });
    writeFileSync(journalDir, 'not a directory'); // after start: every segment create fails
    for (let t = 0; t < 3; t++) {
      q.enqueue([pair('r1', `bad${t}`)]);
      await nextTurn();
    }
    expect(await q.flush(10_000)).toBe(true);
    expect(q.stats().journalErrors).toBe(3);
    const said = (level: string, text: string) => lines.filter((l) => l.level === level && l.msg.includes(text)).length;
    expect(said('error', 'cannot write the journal')).toBe(1);

    rmSync(journalDir);
    mkdirSync(journalDir, { mode: 0o700 });
    q.enqueue([pair('r1', 'good')]);
    await nextTurn();
    expect(await q.flush(10_000)).toBe(true);
    expect(said('info', 'journal writes succeed again')).toBe(1);
    expect(q.stats().journalErrors).toBe(3);
    expect(sink.cues()).toEqual(['bad0', 'bad1', 'bad2', 'good']);
  });
});
