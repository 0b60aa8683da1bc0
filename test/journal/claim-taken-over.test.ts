// A live writer whose journal claim another process took over (its event loop stalled past
// the reader's claimStaleMs, and the reader could not tell it lives: another pid namespace,
// say two containers on one volume) must journal its unsaved pairs again: the reader may
// have read the segment and deleted it, and a line written there afterwards is in no file.
//
// Reproduced first with real processes (the writer under `unshare --pid --fork`, a reader
// queue on the same store, the writer stalled 4 s in a turn that enqueued and killed -9
// right after that turn): the stalled turn's acknowledged pair was lost (20 of 21 stored).
// With the fix: 21 of 21, none twice.
//
// Here the stall is real (the event loop blocked 2.1 s) and the takeover is done by hand
// during it, with the file-system steps a reader takes (the claim removed and made again,
// the segment read and deleted); the stalled turn enqueues.
// Checked against the code before: with the claim's age check in writePending removed and
// the compromise callback only rotating, 'in a file on disk' fails: the later pair went
// into the deleted segment, and no file held either pair. (Each half alone passes here:
// the callback's rewrite comes at proper-lockfile's next refresh, a timers phase later; the
// age check closes that gap, which the real-process run above hit.)
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

describe('a journal segment whose claim another process took over', () => {
  it('takes no more lines, and every pair not yet saved is journaled again in a fresh segment', async () => {
    const journalDir = join(tempDir(), 'journal');
    // The sink never answers: nothing is saved but in the journal.
    const q = new ProvenanceWriteQueue({ appendProvenanceBatch: () => new Promise<void>(() => {}) }, {
      spillDir: join(tempDir(), 'spill'), journalDir, logger: silentLogger, exitHook: false, claimStaleMs: 2000,
    });
    q.start();
    try {
      q.enqueue([pair('before')]);
      await turn();
      const [seg] = readdirSync(journalDir).filter(isJournalSegmentName);
      expect(readFileSync(join(journalDir, seg!), 'utf8')).toContain('"before"');

      // The event loop stalls past the claim's 2 s (refreshed every second); meanwhile another
      // process takes the claim over, reads the segment back and deletes it; the stalled
      // turn enqueues.
      const end = performance.now() + 2100;
      rmSync(join(journalDir, `${seg!}.lock`), { recursive: true });
      mkdirSync(join(journalDir, `${seg!}.lock`));
      unlinkSync(join(journalDir, seg!));
      while (performance.now() < end);
      q.enqueue([pair('after')]);
      await turn();

      const onDisk = readdirSync(journalDir).filter(isJournalSegmentName).map((n) => readFileSync(join(journalDir, n), 'utf8')).join('');
      expect(onDisk, 'in a file on disk').toContain('"after"');
      expect(onDisk, 'in a file on disk').toContain('"before"');
      expect(readdirSync(journalDir), 'the taken-over claim stays its new holder’s').toContain(`${seg!}.lock`);
    } finally {
      await q.stop({ timeoutMs: 200 });
    }
  });
});
