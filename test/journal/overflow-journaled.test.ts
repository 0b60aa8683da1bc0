// Pairs that find memory full go to overflow (written as spill lines, spilled to a file
// within coalesceMs). Until that file is written they are in memory only, like any other
// acknowledged pair: the journal must hold them before the turn that enqueued them ends, or
// a kill -9 before the spill loses them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isJournalSegmentName } from '../../src/journal/journal-names.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { segmentText } from '../helpers/spill-files.js';

/** The rest of this turn: the journal writes from a microtask queued by enqueue, which runs before these. */
const endOfTurn = async () => {
  for (let i = 0; i < 3; i++) await Promise.resolve();
};

describe('pairs that overflow memory, journal mode', () => {
  // Checked (session 10, journal mutation run "no coverage" of journal-writer.ts, applied by
  // hand, this test run, the source restored): with `addLines` emptied (overflow's lines not
  // journaled), the journal holds only the pairs memory took (cues 0–99) and this fails.
  it('are journaled, every one once and in enqueue order, before the turn that enqueued them ends', async () => {
    const spillDir = join(tempDir(), 'spill');
    const journalDir = join(tempDir(), 'journal');
    const sink = new RecordingSink();
    sink.hold(); // the sink takes nothing: memory stays full
    const q = new ProvenanceWriteQueue(sink, {
      spillDir,
      journalDir,
      maxQueueSize: 1, // one batch in memory, the rest overflow
      coalesceMs: 60_000, // overflow is not spilled to a file during the test
      exitHook: false,
      logger: silentLogger,
    });
    q.start();
    try {
      const cues: string[] = [];
      for (let b = 0; b < 10; b++) {
        const batch = Array.from({ length: 100 }, (_, i) => pair('r1', `c${String(b * 100 + i).padStart(4, '0')}`));
        cues.push(...batch.map(([, e]) => e.cue));
        q.enqueue(batch);
      }
      await endOfTurn();
      const journaled = readdirSync(journalDir)
        .filter(isJournalSegmentName)
        .sort()
        .flatMap((n) => segmentText(join(journalDir, n)).split('\n').filter((l) => l !== ''))
        .map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue);
      expect(journaled).toEqual(cues);
      expect(existsSync(spillDir) ? readdirSync(spillDir).filter((n) => n.endsWith('.jsonl')) : []).toEqual([]); // not in a spill file yet
    } finally {
      sink.release();
      await q.stop({ timeoutMs: 5000 });
    }
  });
});
