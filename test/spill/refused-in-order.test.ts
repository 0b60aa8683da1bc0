// The in-order search for pairs a sink refuses (replay's `inOrder`, a sink with one call in
// flight): the sink's answers are scripted by the pairs a call holds, and what it took is
// checked for order, not only for content.
//
// Checked: with replay.ts calling findRefused whatever `inOrder` says (the halving search),
// the first four tests failed (d–f taken ahead of a–c; a file deferred where the sink had
// come back); with findRefusedInOrder setting the first pair aside once the next pair alone
// is taken (no third try), the fourth failed: a set aside by a sink that had just come back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findRefusedInOrder, LONELY } from '../../src/spill/refused-search.js';
import type { IdentifiedPair } from '../../src/spill/spill-writer.js';
import { scriptedReplay } from '../helpers/scripted-replay.js';
import { pair } from '../helpers/sinks.js';

const CUES = ['a', 'b', 'c', 'd', 'e', 'f'];

/** Replays a file of `cues` (a–f) in one chunk, in order; `refuses(cues, call)` says whether the sink fails the call. */
const replayInOrder = (refuses: (cues: string[], call: number) => boolean, cues = CUES) =>
  scriptedReplay(cues, (sent, call) => ({ ok: !refuses(sent, call) }), { inOrder: true, chunkPairs: cues.length });

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

  // Checked: with the search sending the whole rest of the chunk after each pair taken alone
  // (as first written: the refused range found by halving forgotten), it walked to the pair
  // one at a time — 2,867 calls here, each carrying up to the whole chunk — and this failed.
  it('finds a refused pair deep in a big chunk in a few calls, by halving, not pair by pair', async () => {
    const cues = Array.from({ length: 4096 }, (_, i) => `c${i}`);
    const r = await replayInOrder((sent) => sent.includes('c3000'), cues);
    expect(r.outcome).toMatchObject({ kind: 'applied', pairs: 4095, setAside: { pairs: 1 } });
    expect(r.accepted).toEqual(cues.filter((c) => c !== 'c3000'));
    expect(r.calls).toBeLessThan(64); // ~3 a halving: log2(4096) = 12 of them
  });
});

// Checked: with the set-aside test `single && upBefore` made `single` (a pair refused twice
// alone after a failed call is set aside), a pair of a sink coming back is set aside and
// this fails; with the narrowed range forgotten (the whole rest sent), the bound on calls
// fails.
describe('findRefusedInOrder, against any sink that refuses some pairs always and is down for a while', () => {
  it('loses nothing, sets aside only refused pairs, keeps order but for the probe, and finds pairs in few calls', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.nat(299), { maxLength: 3 }),
        fc.array(fc.nat(40), { maxLength: 4 }), // calls the sink fails as if down
        fc.boolean(), // sinkUpSince: the file read again after the sink took other calls
        async (n, refusedAt, downCalls, upSince) => {
          const chunk: IdentifiedPair[] = Array.from({ length: n }, (_, i) => pair('r1', `c${i}`));
          const refusedCues = new Set(refusedAt.filter((i) => i < n).map((i) => `c${i}`));
          const down = new Set(downCalls);
          const arrived: string[] = [];
          const aloneWhileDown = new Map<string, number>();
          const aloneAfterOk = new Set<string>(); // sent alone right after a call the sink took
          // The caller's call of the whole chunk failed before the search: for a chunk of one
          // pair, a try alone (taken as the sink down, the weaker reading).
          if (n === 1) aloneWhileDown.set('c0', 1);
          let lastOk = false;
          let calls = 0;
          const found = await findRefusedInOrder(
            chunk,
            async (pairs) => {
              const cues = pairs.map(([, e]) => e.cue);
              if (cues.length === 1 && lastOk) aloneAfterOk.add(cues[0]!);
              lastOk = false;
              if (down.has(calls++)) {
                if (cues.length === 1) aloneWhileDown.set(cues[0]!, (aloneWhileDown.get(cues[0]!) ?? 0) + 1);
                return { ok: false };
              }
              if (cues.some((c) => refusedCues.has(c))) return { ok: false };
              arrived.push(...cues);
              lastOk = true;
              return { ok: true };
            },
            [],
            upSince,
          );
          const firsts = [...new Set(arrived)];
          const index = (c: string) => Number(c.slice(1));
          if (found !== null && found !== LONELY) {
            // Every pair arrived or was set aside, never both; only refused pairs set aside, or
            // one the sink failed alone twice as if down, once right after it took a call (a
            // flaky sink at just those moments): never for an outage that began before.
            // With upSince the sink's other calls vouch for it: refused alone twice is enough.
            const aside = found.map(([, e]) => e.cue);
            for (const c of aside) expect(refusedCues.has(c) || ((aloneWhileDown.get(c) ?? 0) >= 2 && (upSince || aloneAfterOk.has(c))), c).toBe(true);
            expect(new Set([...firsts, ...aside]).size).toBe(n);
            expect(firsts.length + aside.length).toBe(n);
          }
          // In order, but for the probe's one swap (a pair taken right after the pair after it).
          for (let i = 1; i < firsts.length; i++) {
            const d = index(firsts[i]!) - index(firsts[i - 1]!);
            if (d < 0) expect(d).toBe(-1);
          }
          // Never past a refused pair that is not set aside: the file waits behind it. LONELY:
          // the chunk's last pair, refused alone twice, with none after it to probe with.
          if (found === null || found === LONELY) expect(firsts.every((c) => !refusedCues.has(c))).toBe(true);
          if (found === LONELY) expect(firsts).toEqual(chunk.slice(0, -1).map(([, e]) => e.cue));
          expect(calls).toBeLessThanOrEqual(8 + (refusedCues.size + down.size + 1) * 4 * (Math.log2(n) + 2));
        },
      ),
      { numRuns: 400, examples: [[1, [], [0], false], [43, [21], [], false], [31, [5], [10, 9, 12], false]] },
    );
  });
});
