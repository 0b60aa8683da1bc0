// A spill file of one record's cues replayed through a sink whose answers a test scripts:
// what the sink took, in order, and what the replay left in the directory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { replayClaimedFile, type ChunkDelivered } from '../../src/spill/replay.js';
import { claimSpillFile } from '../../src/spill/spill-claims.js';
import type { IdentifiedPair } from '../../src/spill/spill-writer.js';
import { writeQueueSpillFile } from './spill-files.js';
import { tempDir } from './temp.js';

/**
 * Replays a file of `cues` (record r1); `answer(sent, call)` is the sink's answer to each
 * call (`sent`: the call's cues; taken when ok). Returns the outcome, the cues taken in the
 * order they arrived, the number of calls, the spill files left and the set-aside files' text.
 */
export async function scriptedReplay(cues: string[], answer: (sent: string[], call: number) => ChunkDelivered, opts: { chunkPairs?: number; inOrder?: boolean } = {}) {
  const dir = tempDir();
  const name = await writeQueueSpillFile(dir, 'r1', cues);
  const claim = (await claimSpillFile(dir, name, { staleMs: 60_000, logger: silentLogger }))!;
  const accepted: string[] = [];
  let calls = 0;
  try {
    const outcome = await replayClaimedFile(claim, {
      dir,
      chunkPairs: opts.chunkPairs ?? 256,
      logger: silentLogger,
      inOrder: opts.inOrder ?? false,
      deliver: async (pairs: IdentifiedPair[]) => {
        const sent = pairs.map(([, e]) => e.cue);
        const a = answer(sent, calls++);
        if (a.ok) accepted.push(...sent);
        return a;
      },
    });
    const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    const setAside = files.filter((n) => n.includes('-refused.failed-')).map((n) => readFileSync(join(dir, n), 'utf8'));
    return { outcome, accepted, calls, files, setAside };
  } finally {
    await claim.release();
  }
}
