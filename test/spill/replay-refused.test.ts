// A pair is set aside as "refused" only when the sink refuses it alone, twice, while it
// accepts its neighbours: a flaky sink that happened to fail at the moments the search for
// bad pairs sent it (seen by a cold review with a sink failing one call in three) gets the
// pair applied, not parked in a quarantined file waiting for an operator.
//
// Checked: with findRefused returning the single pair without sending it again (as
// before), the first test fails: the pair is set aside and the outcome says so.
import { describe, expect, it } from 'vitest';
import type { ChunkDelivered } from '../../src/spill/replay.js';
import { scriptedReplay } from '../helpers/scripted-replay.js';

/** Replays a file of pairs a, b with the sink's answers in order; what the sink took, and what is left. */
const replayWith = (answers: ChunkDelivered[]) => scriptedReplay(['a', 'b'], (_, call) => answers[call] ?? { ok: true });

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
