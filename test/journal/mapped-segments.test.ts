// Journal segments written through a shared mapping (src/journal/mapped-segment.ts): each is
// allocated whole and mapped while it is the current one; rotated, removed or left for
// recovery it is unmapped then and there (not by the garbage collector) and cut to the bytes
// written. A segment that cannot be allocated (a full disk) is written with write(2); one
// that cannot be written at all takes the journal's error path: counted, said once, the pairs
// still reach the sink. Without the addon the journal writes with write(2) and says so.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installedJournalMap, journalMapFor, loadJournalMap } from '../../src/journal/journal-map.js';
import { JournalWriter } from '../../src/journal/journal-writer.js';
import type { Logger } from '../../src/log.js';
import { pendingBatch } from '../../src/queue/pending-batches.js';
import { pair } from '../helpers/sinks.js';
import { smallFs } from '../helpers/small-fs.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (fields: object, msg: string) => void lines.push({ level, fields: fields as Record<string, unknown>, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger, said: (level: string, text: string) => lines.filter((l) => l.level === level && l.msg.includes(text)) };
}

function writerIn(journalDir: string, segmentBytes: number, logger: Logger = recordingLogger().logger, counters = { journalErrors: 0 }) {
  return new JournalWriter(journalDir, { segmentBytes, fsyncMs: 60_000, claimStaleMs: 10_000 }, logger, counters, { oldestUnsavedSeq: () => 0, unsavedBatches: () => [] });
}

/** One pair of about 1 KB per turn. */
function writeTurns(journal: JournalWriter, from: number, to: number): void {
  const pad = 'p'.repeat(1000);
  for (let seq = from; seq < to; seq++) {
    journal.add(pendingBatch([pair('r1', `t${seq}`, { pad })], Date.now(), seq, false), seq + 1);
    journal.writePending();
  }
}

/** The journal files this process has mapped now (/proc/self/maps). */
function mappedIn(dir: string): string[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.includes(dir))
    .map((l) => basename(l.trim().split(/\s+/).pop()!));
}

const segmentsIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('-journal.jsonl')).sort();

describe('mapped journal segments', () => {
  it('the addon is built and loads (npm ci builds it)', () => {
    expect(installedJournalMap(), 'the journal map addon is not built here: run `node scripts/build-journal-map.mjs` (npm ci does)').toMatchObject({ kind: 'loaded' });
  });

  // Checked against its revert: with retireSegment not unmapping (unmapSegmentNow dropped),
  // every rotated segment stays mapped at its allocated 4,096 bytes and this fails; with
  // the rotated segment's ftruncate left out, its zeros stay and this fails; with neither
  // leaveForRecovery nor closeSegment unmapping, the last one stays mapped and allocated and
  // this fails. (That leaveForRecovery cuts a segment before its fsync, not after, is not
  // seen here.)
  it('only the current one is mapped: a rotated one is unmapped at once and cut to its lines in the thread pool, the last at once when left for recovery', async () => {
    const journalDir = join(tempDir(), 'journal');
    const journal = writerIn(journalDir, 4096);
    try {
      writeTurns(journal, 0, 20); // about 3 lines a segment
      const segs = segmentsIn(journalDir);
      expect(segs.length).toBeGreaterThan(4);
      const current = segs.at(-1)!;
      expect(mappedIn(journalDir)).toEqual([current]);
      const rotated = segs.slice(0, -1);
      const cut = (s: string) => {
        const bytes = readFileSync(join(journalDir, s));
        return !bytes.includes(0) && bytes.at(-1) === 0x0a;
      };
      expect(await until(() => rotated.every(cut), 10_000), `not cut to their lines: ${rotated.filter((s) => !cut(s)).join(', ')}`).toBe(true);
      const live = readFileSync(join(journalDir, current));
      expect(live.length).toBe(4096); // allocated whole, zeros after its lines
      expect(live.at(-1)).toBe(0);
      journal.leaveForRecovery();
      expect(mappedIn(journalDir)).toEqual([]);
      expect(readFileSync(join(journalDir, current)).includes(0)).toBe(false);
      const cues = segs.flatMap((s) => readFileSync(join(journalDir, s), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue));
      expect(cues).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
    } finally {
      journal.removeAll();
    }
  });

  // Checked against its revert: with remove() not unmapping (closeSegment skipping
  // unmapSegmentNow), the deleted segment stays mapped — its blocks held until the garbage
  // collector — and this fails.
  it('removed once its pairs are saved: unmapped then, not by the garbage collector', () => {
    const journalDir = join(tempDir(), 'journal');
    const journal = writerIn(journalDir, 64 * 1024);
    writeTurns(journal, 0, 3);
    expect(mappedIn(journalDir)).toHaveLength(1);
    journal.removeAll();
    expect(segmentsIn(journalDir)).toEqual([]);
    expect(mappedIn(journalDir)).toEqual([]);
  });

  // Checked against its revert: with a failed allocation thrown (mapSegmentFile's error not
  // caught in openSegment), no segment is written on the small disk: journalErrors counts
  // every turn and this fails; with the warning said at every segment (unmappedSaid never
  // set), it is said more than once.
  it('a segment the disk cannot allocate whole is written with write(2), said once; mapped again once one can be', { timeout: 30_000 }, async () => {
    const fs = smallFs(1); // room for lines, not for an 8 MiB segment
    const log = recordingLogger();
    const counters = { journalErrors: 0 };
    const journalDir = join(fs.dir, 'journal');
    let journal = writerIn(journalDir, 8 * 1024 * 1024, log.logger, counters);
    try {
      writeTurns(journal, 0, 10);
      journal.removeAll(); // a fresh segment next time
      writeTurns(journal, 10, 20);
      expect(counters.journalErrors).toBe(0);
      const segs = segmentsIn(journalDir);
      expect(segs).toHaveLength(1);
      const bytes = readFileSync(join(journalDir, segs[0]!));
      expect(bytes.includes(0)).toBe(false); // written, not allocated
      expect(bytes.toString('utf8').split('\n').filter(Boolean)).toHaveLength(10);
      expect(mappedIn(journalDir)).toEqual([]);
      const warned = log.said('warn', 'cannot allocate a mapped journal segment');
      expect(warned).toHaveLength(1);
      expect(warned[0]!.fields).toMatchObject({ err: { code: 'ENOSPC' } });
      journal.removeAll();

      journal = writerIn(journalDir, 64 * 1024, log.logger, counters); // fits: mapped
      writeTurns(journal, 20, 22);
      expect(mappedIn(journalDir)).toHaveLength(1);
      expect(statSync(join(journalDir, segmentsIn(journalDir)[0]!)).size).toBe(64 * 1024);
    } finally {
      journal.removeAll();
      fs.unmount();
    }
  });

  // Checked against its revert: with journalMapFor returning null silently for an addon that
  // does not load, no PROVQ_JOURNAL_UNMAPPED line is logged and this fails.
  it('without the addon: the journal writes with write(2), and says so with PROVQ_JOURNAL_UNMAPPED', async () => {
    const missing = join(tempDir(), 'no-such-addon.node');
    const state = loadJournalMap({ PROVQ_JOURNAL_MAP_ADDON: missing });
    expect(state).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining(`cannot load ${missing}`) });
    expect(loadJournalMap({ PROVQ_JOURNAL_MAP: 'off' })).toEqual({ kind: 'off' });
    const log = recordingLogger();
    const journalDir = join(tempDir(), 'journal');
    const map = journalMapFor(journalDir, log.logger, state);
    expect(map).toBeNull();
    expect(log.lines.filter((l) => l.fields.code === 'PROVQ_JOURNAL_UNMAPPED')).toHaveLength(1);
    expect(journalMapFor(journalDir, log.logger, { kind: 'off' })).toBeNull();
    expect(log.lines).toHaveLength(1); // off is chosen: nothing to warn about
    const journal = new JournalWriter(journalDir, { segmentBytes: 4096, fsyncMs: 60_000, claimStaleMs: 10_000, map }, log.logger, { journalErrors: 0 }, { oldestUnsavedSeq: () => 0, unsavedBatches: () => [] });
    try {
      writeTurns(journal, 0, 2);
      await nextTurn();
      const segs = segmentsIn(journalDir);
      expect(readFileSync(join(journalDir, segs[0]!)).includes(0)).toBe(false); // written by write(2): no allocation
      expect(mappedIn(journalDir)).toEqual([]);
    } finally {
      journal.removeAll();
    }
  });
});
