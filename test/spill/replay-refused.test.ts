// A pair is set aside as "refused" only when the sink refuses it alone, twice, while it
// accepts its neighbours: a flaky sink that happened to fail at the moments the search for
// bad pairs sent it (seen by a cold review with a sink failing one call in three) gets the
// pair applied, not parked in a quarantined file waiting for an operator.
//
// Checked: with findRefused returning the single pair without sending it again (as
// before), the first test fails: the pair is set aside and the outcome says so.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { replayClaimedFile, type ChunkDelivered } from '../../src/spill/replay.js';
import { claimSpillFile } from '../../src/spill/spill-claims.js';
import type { IdentifiedPair } from '../../src/spill/spill-writer.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

/** Replays a file of pairs a, b with the sink's answers in order; what the sink took, and what is left. */
async function replayWith(answers: ChunkDelivered[]) {
  const dir = tempDir();
  const name = await writeQueueSpillFile(dir, 'r1', ['a', 'b']);
  const claim = (await claimSpillFile(dir, name, { staleMs: 60_000, logger: silentLogger }))!;
  const accepted: string[] = [];
  let calls = 0;
  try {
    const outcome = await replayClaimedFile(claim, {
      dir,
      chunkPairs: 256,
      logger: silentLogger,
      deliver: async (pairs: IdentifiedPair[]) => {
        const answer = answers[calls++] ?? { ok: true };
        if (answer.ok) accepted.push(...pairs.map(([, e]) => e.cue));
        return answer;
      },
    });
    const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    const setAside = files.filter((n) => n.includes('-refused.failed-')).map((n) => readFileSync(join(dir, n), 'utf8'));
    return { outcome, accepted, files, setAside };
  } finally {
    await claim.release();
  }
}

describe('the search for pairs a sink refuses', () => {
  it('applies a pair the sink refused once alone and then accepted, and sets nothing aside', async () => {
    // The whole chunk fails, a is accepted alone, b is refused alone, then accepted.
    const r = await replayWith([{ ok: false }, { ok: true }, { ok: false }, { ok: true }]);
    expect(r.outcome).toEqual({ kind: 'applied', pairs: 2 });
    expect(r.accepted).toEqual(['a', 'b']);
    expect(r.files).toEqual([]);
  });

  it('sets aside a pair the sink refused alone twice, and applies the rest', async () => {
    const r = await replayWith([{ ok: false }, { ok: true }, { ok: false }, { ok: false }]);
    expect(r.outcome).toMatchObject({ kind: 'applied', pairs: 1, setAside: { pairs: 1 } });
    expect(r.accepted).toEqual(['a']);
    expect(r.setAside).toHaveLength(1);
    expect(r.setAside[0]).toContain('"cue":"b"');
  });

  it('leaves the file whole when the queue halts before the pair is sent again', async () => {
    const r = await replayWith([{ ok: false }, { ok: true }, { ok: false }, { ok: false, halted: true }]);
    expect(r.outcome.kind).toBe('deferred');
    expect(r.files).toHaveLength(1);
    expect(r.setAside).toEqual([]);
  });
});
