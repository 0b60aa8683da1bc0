// A turn's journal writes: the turn's batches formatted and overflow's lines copied, in the
// order they were added, cut at line ends into writes of at most a chunk (a longer line on
// its own) and a spill file's pairs — each write a run of whole lines a reader takes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, TurnLines } from '../../src/journal/turn-lines.js';
import { pendingBatch } from '../../src/queue/pending-batches.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { MAX_SPILL_FILE_PAIRS, spillLine } from '../../src/spill/spill-writer.js';

function pairOf(i: number, cueBytes: number): ProvenancePair {
  return [`r${i % 3}`, { ts: '2026-11-30T12:00:00.000Z', cue: `c${i}-${'x'.repeat(cueBytes)}`, sessionId: 's1' }];
}

/** The writes a TurnLines makes, as text, with their pair counts. */
function recorder() {
  const writes: { text: string; pairs: number }[] = [];
  const turn = new TurnLines((bytes, pairs) => writes.push({ text: Buffer.from(bytes).toString('utf8'), pairs }));
  return { turn, writes };
}

describe('TurnLines', () => {
  // Checked: with putCopied's fit test `next - at > room` made `next - at > room + 1`, the
  // chunk-size check fails; with the copy in addLines made after the caller's buffer is
  // reused (src.fill before addLines), the order check fails; with putCopied's whole-lines
  // cut skipped (the rest copied whatever the room), it fails.
  it('writes batches and copied lines in order, as whole lines, within the chunk and the pair cap', () => {
    const item = fc.record({ copied: fc.boolean(), pairs: fc.integer({ min: 1, max: 40 }), cueBytes: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constant(700)) });
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 12 }), fc.integer({ min: 256, max: 2048 }), (items, chunkCap) => {
        const { turn, writes } = recorder();
        let want = '';
        let n = 0;
        for (const it of items) {
          const pairs = Array.from({ length: it.pairs }, () => pairOf(n++, it.cueBytes));
          const lines = pairs.map((p) => spillLine([p[0], { ...p[1], entryId: `1764500000000-abc1234-${String(n).padStart(10, '0')}` }])).join('');
          want += lines;
          if (it.copied) {
            const src = Buffer.from(lines);
            turn.addLines(src, it.pairs);
            src.fill(0x21); // overflow reuses its buffers once spilled: the journal kept a copy
          } else {
            // The batch's entries get ids as the journal formats them (the queue's own copies).
            const b = pendingBatch(pairs, 0, 0, false);
            b.identified = true;
            for (const p of pairs) p[1].entryId = `1764500000000-abc1234-${String(n).padStart(10, '0')}`;
            turn.addBatch(b);
          }
        }
        turn.flush(chunkCap);
        expect(turn.pending).toBe(0);
        expect(writes.map((w) => w.text).join('')).toBe(want);
        for (const w of writes) {
          const lines = w.text.split('\n');
          expect(lines.at(-1)).toBe(''); // whole lines only
          expect(lines.length - 1).toBe(w.pairs);
          expect(w.pairs).toBeLessThanOrEqual(MAX_SPILL_FILE_PAIRS);
          if (w.pairs > 1) expect(Buffer.byteLength(w.text)).toBeLessThanOrEqual(chunkCap);
        }
      }),
      { numRuns: 300 },
    );
  });

  // Checked: with `k < pairRoom` dropped from the cut, this fails (one write of 16,484).
  it('cuts copied lines at the pair cap of a spill file', () => {
    const { turn, writes } = recorder();
    const line = '{}\n'; // short lines: the pair cap is met before the chunk fills
    for (let i = 0; i < 165; i++) turn.addLines(Buffer.from(line.repeat(100)), 100); // 16,500 pairs
    turn.flush(CHUNK_BYTES);
    expect(writes.map((w) => w.pairs)).toEqual([MAX_SPILL_FILE_PAIRS, 16_500 - MAX_SPILL_FILE_PAIRS]);
  });
});
