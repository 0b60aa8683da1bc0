// The in-order search for pairs a sink refuses (replay's `inOrder`, a sink with one call in
// flight): the sink's answers are scripted by the pairs a call holds, and what it took is
// checked for order, not only for content.
//
// Checked: with replay.ts calling findRefused whatever `inOrder` says (the halving search),
// the first four tests failed (d–f taken ahead of a–c; a file deferred where the sink had
// come back); with findRefusedInOrder setting the first pair aside once the next pair alone
// is taken (no third try), the fourth failed: a set aside by a sink that had just come back.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { replayClaimedFile } from '../../src/spill/replay.js';
import { claimSpillFile } from '../../src/spill/spill-claims.js';
import type { IdentifiedPair } from '../../src/spill/spill-writer.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

const CUES = ['a', 'b', 'c', 'd', 'e', 'f'];

/** Replays a file of a–f in one chunk, in order; `refuses(cues, call)` says whether the sink fails the call. */
async function replayInOrder(refuses: (cues: string[], call: number) => boolean) {
  const dir = tempDir();
  const name = await writeQueueSpillFile(dir, 'r1', CUES);
  const claim = (await claimSpillFile(dir, name, { staleMs: 60_000, logger: silentLogger }))!;
  const accepted: string[] = [];
  let calls = 0;
  try {
    const outcome = await replayClaimedFile(claim, {
      dir,
      chunkPairs: 256,
      logger: silentLogger,
      inOrder: true,
      deliver: async (pairs: IdentifiedPair[]) => {
        const cues = pairs.map(([, e]) => e.cue);
        if (refuses(cues, calls++)) return { ok: false };
        accepted.push(...cues);
        return { ok: true };
      },
    });
    const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    const setAside = files.filter((n) => n.includes('-refused.failed-')).map((n) => readFileSync(join(dir, n), 'utf8'));
    return { outcome, accepted, files, setAside };
  } finally {
    await claim.release();
  }
}

describe('the in-order search for pairs a sink refuses', () => {
  it('sends nothing after a failed part before that part is in the sink', async () => {
    // Down for the chunk and the first pair alone, then working.
    const r = await replayInOrder((_, call) => call < 2);
    expect(r.outcome).toEqual({ kind: 'applied', pairs: 6 });
    expect(r.accepted).toEqual(CUES);
  });

  it('sets aside a pair refused alone twice after its neighbour was taken, the rest in order', async () => {
    const r = await replayInOrder((cues) => cues.includes('c'));
    expect(r.outcome).toMatchObject({ kind: 'applied', pairs: 5, setAside: { pairs: 1 } });
    expect(r.accepted).toEqual(['a', 'b', 'd', 'e', 'f']);
    expect(r.setAside[0]).toContain('"cue":"c"');
  });

  it('sets aside a first pair the sink refuses while it takes the next one, the rest in order', async () => {
    const r = await replayInOrder((cues) => cues.includes('a'));
    expect(r.outcome).toMatchObject({ kind: 'applied', pairs: 5, setAside: { pairs: 1 } });
    expect(r.accepted).toEqual(['b', 'c', 'd', 'e', 'f']);
  });

  it('applies a first pair the sink took once it came back mid-search (not set aside)', async () => {
    // Down for the chunk and the first pair's two tries alone; back for the next pair's probe
    // (b, then a: the one order the in-order search cannot keep, refused-search.ts).
    const r = await replayInOrder((_, call) => call < 3);
    expect(r.outcome).toEqual({ kind: 'applied', pairs: 6 });
    expect(r.setAside).toEqual([]);
    expect(new Set(r.accepted)).toEqual(new Set(CUES));
  });

  it('leaves the file whole, nothing sent past the first pair, while the sink is down', async () => {
    const r = await replayInOrder(() => true);
    expect(r.outcome.kind).toBe('deferred');
    expect(r.accepted).toEqual([]);
    expect(r.files).toHaveLength(1);
  });
});
