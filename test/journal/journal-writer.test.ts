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
import { letThreadPoolRun } from '../helpers/thread-pool.js';
import { until } from '../helpers/until.js';
import { segmentText } from '../helpers/spill-files.js';

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

/** 20 turns of 20 pairs each into 8 KiB segments (several of them), the sink holding every call. */
async function twentyHeldTurns(): Promise<{ journalDir: string; sink: RecordingSink; q: ProvenanceWriteQueue }> {
  const journalDir = join(tempDir(), 'journal');
  const sink = new RecordingSink();
  sink.hold();
  const q = startQueue(sink, journalDir, { journalSegmentBytes: 8 * 1024 });
  for (let t = 0; t < 20; t++) {
    q.enqueue(Array.from({ length: 20 }, (_, i) => pair('r1', `t${t}-${i}`)));
    await nextTurn();
  }
  return { journalDir, sink, q };
}

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
    const lines = segs.flatMap((s) => segmentText(join(journalDir, s)).trim().split('\n'));
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
    const { journalDir, sink, q } = await twentyHeldTurns();
    expect(segments(journalDir).length).toBeGreaterThan(1);
    sink.release();
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.pairs).toHaveLength(400);
    // The last segment goes once it has been quiet for half a second.
    expect(await until(() => segments(journalDir).length === 0, 30_000)).toBe(true);
  });

  // Checked: with the mid-turn write made never to happen (the `count > 0 && (…)` test in
  // writePending made false), the reused 256 KiB buffer fills and the lines past it are cut
  // (Buffer.write writes what fits): the segment ends in a torn line and this fails.
  it('journals a turn larger than its write buffer whole: every line intact, in order', async () => {
    const journalDir = join(tempDir(), 'journal');
    const sink = new RecordingSink();
    sink.hold(); // nothing is saved: the segments keep every line
    const q = startQueue(sink, journalDir);
    const pad = 'x'.repeat(200);
    const batch = Array.from({ length: 3000 }, (_, i) => pair('r1', `big-${i}-${pad}`)); // ~700 KB of lines
    q.enqueue(batch);
    await nextTurn();
    const lines = segments(journalDir).flatMap((s) => segmentText(join(journalDir, s)).split('\n').filter(Boolean));
    expect(lines.map((l) => (JSON.parse(l) as SpillLine).entry.cue)).toEqual(batch.map(([, e]) => e.cue));
    sink.release();
  });

  // Checked: with release() deleting every full segment whatever the frontier (its
  // `hiSeq <= frontier` test made true), or the current one once quiet whatever the
  // frontier (`cur.hiSeq <= frontier` made true), the segments of the pairs still waiting go
  // as soon as the first call is saved and this fails: a crash then would lose them.
  it('keeps the segments of pairs not yet saved when earlier pairs are saved', async () => {
    const { journalDir, sink, q } = await twentyHeldTurns();
    expect(segments(journalDir).length).toBeGreaterThan(2);
    // A current segment quiet for 500 ms is deleted once its pairs are saved: let it become
    // quiet first (time passing is the precondition here, not a synchronisation).
    await new Promise((r) => setTimeout(r, 700));
    // Let the call under way finish, and hold every later one: the frontier moves past the
    // first pairs only.
    sink.release();
    sink.hold();
    expect(await until(() => sink.calls.length === 1, 30_000)).toBe(true);
    const saved = new Set(sink.cues());
    expect(saved.size).toBeGreaterThan(0);
    expect(saved.size).toBeLessThan(400);
    // The call's completion is handled in the microtasks after it resolves (the frontier
    // moves, the journal releases what is saved); a few turns cover that. What is checked is
    // that nothing more is deleted, so there is no event to await.
    for (let i = 0; i < 5; i++) await nextTurn();
    await letThreadPoolRun(journalDir); // a segment let go is unlinked there
    const journaled = new Set(
      segments(journalDir).flatMap((s) => segmentText(join(journalDir, s)).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as SpillLine).entry.cue)),
    );
    const unsaved = Array.from({ length: 400 }, (_, k) => `t${Math.floor(k / 20)}-${k % 20}`).filter((c) => !saved.has(c));
    expect(unsaved.filter((c) => !journaled.has(c))).toEqual([]);
    sink.release();
  });

  // Checked: with a segment's pair count not kept (`seg.pairs += pairs` made `-=`), the
  // pair cap never rotates and one segment holds all 17,000 lines: this fails.
  it('puts at most 16,384 pairs in a segment, as in a spill file', async () => {
    const journalDir = join(tempDir(), 'journal');
    const sink = new RecordingSink();
    sink.hold();
    const q = startQueue(sink, journalDir);
    for (let t = 0; t < 17; t++) {
      q.enqueue(Array.from({ length: 1000 }, (_, i) => pair('r1', `t${t}-${i}`)));
      await nextTurn();
    }
    const perSegment = segments(journalDir).map((s) => segmentText(join(journalDir, s)).split('\n').filter(Boolean).length);
    expect(perSegment.reduce((a, b) => a + b, 0)).toBe(17_000);
    expect(Math.max(...perSegment)).toBeLessThanOrEqual(16_384);
    sink.release();
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
    // One a failed turn, and the retries from the timer while they fail (write-failures.ts).
    const failed = q.stats().journalErrors;
    expect(failed).toBeGreaterThanOrEqual(3);
    const said = (level: string, text: string) => lines.filter((l) => l.level === level && l.msg.includes(text)).length;
    expect(said('error', 'cannot write the journal')).toBe(1);

    rmSync(journalDir);
    mkdirSync(journalDir, { mode: 0o700 });
    q.enqueue([pair('r1', 'good')]);
    await nextTurn();
    expect(await q.flush(10_000)).toBe(true);
    expect(said('info', 'journal writes succeed again')).toBe(1);
    expect(q.stats().journalErrors).toBe(failed);
    expect(sink.cues()).toEqual(['bad0', 'bad1', 'bad2', 'good']);
  });
});
