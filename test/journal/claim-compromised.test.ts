// A journal claim compromised while its writer is NOT stalled: another process took it over
// (a reader whose wall clock jumped forward past claimStaleMs sees a fresh claim as stale)
// or removed it (an operator's clean-up), then read the segment back and deleted it. The
// writer's claim was refreshed under a second ago, so the claim-age check before a write
// (claim-stall-turn.test.ts) never fires: the only thing that notices is proper-lockfile's
// next refresh (the `.lock` dir's mtime is not the one it set, or the dir is gone), which
// calls the segment's onCompromised. From then on the segment must take no more lines, and
// every pair not yet saved must be journaled again in a fresh segment: a line written into
// the deleted segment is in no file, and a kill -9 would lose it.
//
// Checked (session 11, journal-writer.ts's survivor of session 10's journal run: segmentFor's
// `() => this.claimLost(seg)` made `() => undefined`, applied by hand, this file run, the
// source restored): both cases fail at 'in a file on disk' — the pair enqueued after the
// takeover stays in the deleted segment only, for good (no later write comes, so the
// claim-age check never runs either).
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isJournalSegmentName } from '../../src/journal/journal-names.js';
import type { Logger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const pair = (cue: string): ProvenancePair => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's' }];
const turn = () => new Promise<void>((r) => setImmediate(r));

function warnings(msgs: string[]): Logger {
  const none = () => {};
  return { debug: none, info: none, error: none, warn: (_f: object, msg: string) => void msgs.push(msg) };
}

/** The other process's part, done between two of the writer's turns (no stall). */
const compromise = {
  'taken over': (lock: string) => {
    const ours = statSync(lock).mtime;
    rmSync(lock, { recursive: true });
    mkdirSync(lock);
    // The other process's claim carries its own time. A dir made within a few ms of the
    // writer's refresh could carry the very millisecond it set (the kernel's file times come
    // from a coarse clock): then nothing tells the two claims apart — a flake seen once in CI.
    const theirs = new Date(ours.getTime() - 10_000);
    utimesSync(lock, theirs, theirs);
  },
  removed: (lock: string) => rmSync(lock, { recursive: true }),
};

describe('a journal claim compromised while its writer runs (no stall)', () => {
  for (const [how, act] of Object.entries(compromise)) {
    it(`(${how}): once proper-lockfile notices, every pair not yet saved is in a fresh segment on disk`, { timeout: 60_000 }, async () => {
      const journalDir = join(tempDir(), 'journal');
      const said: string[] = [];
      // The sink never answers: nothing is saved but in the journal.
      const q = new ProvenanceWriteQueue({ appendProvenanceBatch: () => new Promise<void>(() => {}) }, {
        spillDir: join(tempDir(), 'spill'), journalDir, logger: warnings(said), exitHook: false, claimStaleMs: 2000,
      });
      q.start();
      try {
        q.enqueue([pair('before')]);
        await turn();
        const [seg] = readdirSync(journalDir).filter(isJournalSegmentName);
        const lock = join(journalDir, `${seg!}.lock`);
        // Just after one of the claim's refreshes (every second), so the write below is far
        // inside the claim's freshness: no stall, the age check stays out of it.
        const refreshed = statSync(lock).mtimeMs;
        expect(await until(() => statSync(lock).mtimeMs !== refreshed, 30_000)).toBe(true);

        // The other process: the claim compromised, the segment read back and deleted; then
        // this process enqueues (its line goes into the deleted segment's open descriptor).
        act(lock);
        expect(readFileSync(join(journalDir, seg!), 'utf8')).toContain('"before"');
        unlinkSync(join(journalDir, seg!));
        q.enqueue([pair('after')]);
        await turn();

        // proper-lockfile's next refresh finds the claim not ours (journal-segment.ts says so).
        expect(await until(() => said.some((m) => m.startsWith('journal claim lost')), 30_000)).toBe(true);
        await turn();
        const onDisk = readdirSync(journalDir).filter(isJournalSegmentName).map((n) => readFileSync(join(journalDir, n), 'utf8')).join('');
        expect({ after: onDisk.includes('"after"'), before: onDisk.includes('"before"') }, 'in a file on disk').toEqual({ after: true, before: true });
        expect(readdirSync(journalDir).filter(isJournalSegmentName), 'a fresh segment').not.toContain(seg);
      } finally {
        await q.stop({ timeoutMs: 200 });
      }
    });
  }
});
