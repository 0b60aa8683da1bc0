// The turn that ends a stall: a live writer whose event loop stalled past the reader's
// claimStaleMs may have had its segment taken over, read back and deleted by another
// process (claim-taken-over.test.ts sets the scene). The pair enqueued in that very turn is
// acknowledged once the turn ends, so it must be in a file on disk then — before any timer,
// and so before proper-lockfile's next refresh could report the claim compromised. A kill -9
// right after that turn (reproduced with real processes, see claim-taken-over.test.ts) then
// loses nothing.
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isJournalSegmentName } from '../../src/journal/journal-names.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { tempDir } from '../helpers/temp.js';

const pair = (cue: string): ProvenancePair => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's' }];
const turn = () => new Promise<void>((r) => setImmediate(r));
/** The rest of this turn: the journal writes from a microtask queued by enqueue, which runs before these. */
const endOfTurn = async () => {
  for (let i = 0; i < 3; i++) await Promise.resolve();
};

describe('the turn that ends a stall past the claim timeout', () => {
  // Checked (session 10, journal mutation run survivor of journal-writer.ts, applied by hand,
  // this test run, the source restored): with writePending's claim-age check made false, the
  // turn's pair goes into the deleted segment only, and neither pair is in a file on disk at
  // the end of the turn (they are journaled again only at the lock's next refresh, a timers
  // phase later: a kill -9 in between loses both).
  it('journals its pair, and every pair not yet saved, in a fresh segment before the turn ends', async () => {
    const journalDir = join(tempDir(), 'journal');
    const q = new ProvenanceWriteQueue({ appendProvenanceBatch: () => new Promise<void>(() => {}) }, {
      spillDir: join(tempDir(), 'spill'), journalDir, logger: silentLogger, exitHook: false, claimStaleMs: 2000,
    });
    q.start();
    try {
      q.enqueue([pair('before')]);
      await turn();
      const [seg] = readdirSync(journalDir).filter(isJournalSegmentName);
      expect(readFileSync(join(journalDir, seg!), 'utf8')).toContain('"before"');

      // The stall, and another process's takeover during it: the claim made again, the
      // segment read back and deleted.
      const end = performance.now() + 2100;
      rmSync(join(journalDir, `${seg!}.lock`), { recursive: true });
      mkdirSync(join(journalDir, `${seg!}.lock`));
      unlinkSync(join(journalDir, seg!));
      while (performance.now() < end);
      q.enqueue([pair('after')]);
      await endOfTurn();

      const onDisk = readdirSync(journalDir).filter(isJournalSegmentName).map((n) => readFileSync(join(journalDir, n), 'utf8')).join('');
      expect({ after: onDisk.includes('"after"'), before: onDisk.includes('"before"') }).toEqual({ after: true, before: true });
    } finally {
      await q.stop({ timeoutMs: 200 });
    }
  });
});
