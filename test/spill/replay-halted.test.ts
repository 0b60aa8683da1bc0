// A queue that halts (a stop deadline, exit) while a file is read back on its own calls the
// sink no more: the chunks it did not send are not "refused by the sink", and the file stays
// whole for the next start (its entry ids make the pairs already written no-ops then).
//
// Checked: with the `halted` answers treated as refusals (findRefused as before), the first
// test failed: the pair the halted queue never sent was set aside as
// `…-refused.failed-….jsonl`, "refused on every attempt", and the file was deleted.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { replayClaimedFile, type ChunkDelivered } from '../../src/spill/replay.js';
import { claimSpillFile } from '../../src/spill/spill-claims.js';
import type { IdentifiedPair } from '../../src/spill/spill-writer.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

async function replayWith(answers: ChunkDelivered[]) {
  const dir = tempDir();
  const name = await writeQueueSpillFile(dir, 'r1', ['a', 'b']);
  const claim = (await claimSpillFile(dir, name, { staleMs: 60_000, logger: silentLogger }))!;
  const calls: IdentifiedPair[][] = [];
  try {
    const outcome = await replayClaimedFile(claim, {
      dir,
      chunkPairs: 256,
      logger: silentLogger,
      deliver: async (pairs) => {
        calls.push(pairs);
        return answers[calls.length - 1] ?? { ok: false, halted: true };
      },
    });
    return { outcome, calls, files: readdirSync(dir).filter((n) => n.endsWith('.jsonl')), name };
  } finally {
    await claim.release();
  }
}

describe('a spill file read back alone when the queue halts', () => {
  it('is not set aside when the sink failed, then took one half, then the queue halted before the other', async () => {
    const r = await replayWith([{ ok: false }, { ok: true }, { ok: false, halted: true }]);
    expect(r.outcome.kind).toBe('deferred');
    expect(r.files).toEqual([r.name]);
  });

  it('is left at once when the queue halted before its first chunk: no sink call searched for refused pairs', async () => {
    const r = await replayWith([{ ok: false, halted: true }]);
    expect(r.outcome).toEqual({ kind: 'deferred', reason: 'queue halted' });
    expect(r.calls).toHaveLength(1);
    expect(r.files).toEqual([r.name]);
  });
});
