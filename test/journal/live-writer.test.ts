// A live writer's journal segment is never claimed by another process sharing the journal
// dir, even while the writer's event loop is blocked and its claim goes stale; once the
// writer is killed, the segment is read back and every acknowledged pair is stored once.
//
// Checked against its revert: with read-back claiming a live pid's segment once its claim
// is claimStaleMs old (the code before: `staleMs = mayBeAlive(pid) ? claimStaleMs : 2000`),
// 'nothing read back from a live writer' fails (the segment was read back during the stall).
// The writer is killed while still stalled: resumed, it could save and delete its own
// segment first, and nothing would be left to read back.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditAcks, readAckLog, storedRecalls } from '../../faults/ack-audit.js';
import { startChildScript, type RunningChild } from '../../faults/child.js';
import { RECALL_CHILD } from '../../faults/kill9.js';
import type { RecallChildConfig } from '../../faults/recall-child.js';
import { isJournalSegmentName } from '../../src/journal/journal-names.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const children: RunningChild[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

const segmentsIn = (dir: string) => {
  try {
    return readdirSync(dir).filter(isJournalSegmentName);
  } catch {
    return [];
  }
};

describe('journal segments of a live writer', () => {
  // 10 s at rest; timed out at 120 s once in a full run at load 18 (2026-11-30): a bound, not a timing.
  it('are left alone while the writer stalls past every claim timeout, and read back once it is killed', { timeout: 300_000 }, async () => {
    const path = tempDir();
    const setup = await LmdbMemoryStore.open({ path, logger: silentLogger });
    for (let r = 0; r < 10; r++) await setup.insert({ id: `r${r}`, text: `record ${r}` });
    await setup.close();
    const ackLog = join(path, 'acknowledged.log');
    // Stalled for longer than the test runs: it is killed while stalled.
    const child = startChildScript(RECALL_CHILD, { storePath: path, mode: 'stall', recalls: 200, stallMs: 600_000, ackLog, cuePrefix: 'w' } satisfies RecallChildConfig);
    children.push(child);
    await child.waitForLine(/^stalling$/);
    const journalDir = join(path, JOURNAL_DIR_NAME);
    const theirs = segmentsIn(journalDir);
    expect(theirs.length, 'the writer has a segment while it stalls').toBeGreaterThan(0);

    // A second process's queue on the same store, as eager as the options allow.
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    try {
      const queue = store.enableProvenanceQueue({ claimStaleMs: 2000, idlePollMs: 50 });
      // The writer's claim is refreshed every second; stalled, it goes stale after 2 s.
      const claimAgeMs = () => Date.now() - statSync(join(journalDir, `${theirs.at(-1)!}.lock`)).mtimeMs;
      expect(await until(() => claimAgeMs() > 3000, 30_000, 50), 'the stalled writer’s claim goes stale').toBe(true);
      // Past that, a reader that went by the claim would take the segment within a few polls.
      expect(await until(() => queue.stats().respooledPairs > 0, 2000, 50), 'nothing read back from a live writer').toBe(false);
      for (const name of theirs) expect(segmentsIn(journalDir)).toContain(name);

      child.kill('SIGKILL');
      await child.done;
      expect(await until(() => theirs.every((n) => !segmentsIn(journalDir).includes(n)), 60_000, 50), 'the dead writer’s segment is read back').toBe(true);
      expect(queue.stats().respooledPairs).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
    const a = auditAcks(readAckLog(ackLog), await storedRecalls(path, 'w'));
    expect(a.acknowledgedRecalls).toBe(200);
    expect({ lost: a.lost, duplicated: a.duplicated, orderViolations: a.orderViolations }).toEqual({ lost: 0, duplicated: 0, orderViolations: 0 });
  });
});
