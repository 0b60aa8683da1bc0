// How much a mapped journal segment allocates: what its pair limit (MAX_SPILL_FILE_PAIRS) can
// hold at the first turn's bytes a pair, not journalSegmentBytes when small lines reach the
// pair limit long before it. (An 8 MiB allocation holding ~2.2 MB of 130-byte lines was cut
// back at every rotation, and reserved disk a small journal disk did not have.)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installedJournalMap } from '../../src/journal/journal-map.js';
import { JournalWriter } from '../../src/journal/journal-writer.js';
import { silentLogger } from '../../src/log.js';
import { pendingBatch } from '../../src/queue/pending-batches.js';
import { MAX_SPILL_FILE_PAIRS } from '../../src/spill/spill-writer.js';
import { pair } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;

function writer(journalDir: string, segmentBytes: number): JournalWriter {
  return new JournalWriter(journalDir, { segmentBytes, fsyncMs: 60_000, claimStaleMs: 10_000 }, silentLogger, { journalErrors: 0 }, { oldestUnsavedSeq: () => 0, unsavedBatches: () => [] });
}

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('-journal.jsonl')).sort();

describe('a mapped segment’s allocation', () => {
  // Checked against its revert: with the allocation back at max(segmentBytes, bytes), the
  // live segment is 8 MiB and the first case fails; the second passes either way (it pins what
  // must not change: large lines still get journalSegmentBytes).
  it('small lines: about what 16,384 of them take, far below the 8 MiB default', () => {
    expect(installedJournalMap()).toMatchObject({ kind: 'loaded' });
    const dir = join(tempDir(), 'journal');
    const journal = writer(dir, 8 * MiB);
    try {
      const batch = [pair('r1', 'a cue'), pair('r2', 'another cue')];
      journal.add(pendingBatch(batch, Date.now(), 0, false), 1);
      journal.writePending();
      const [live] = segments(dir);
      const size = statSync(join(dir, live!)).size;
      const lineBytes = readFileSync(join(dir, live!), 'utf8').indexOf('\n') + 1;
      // Room for the pair limit's lines of this length, and not much more.
      expect(size).toBeGreaterThanOrEqual(MAX_SPILL_FILE_PAIRS * lineBytes);
      expect(size).toBeLessThan(2 * MAX_SPILL_FILE_PAIRS * lineBytes);
    } finally {
      journal.leaveForRecovery();
    }
  });

  it('large lines: journalSegmentBytes, as before', () => {
    const dir = join(tempDir(), 'journal');
    const journal = writer(dir, 1 * MiB);
    try {
      journal.add(pendingBatch([pair('r1', 'c', { pad: 'p'.repeat(2000) })], Date.now(), 0, false), 1);
      journal.writePending();
      expect(statSync(join(dir, segments(dir)[0]!)).size).toBe(1 * MiB);
    } finally {
      journal.leaveForRecovery();
    }
  });
});
