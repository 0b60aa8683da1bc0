// The journal's encoder writes a pair's id from its numbers (the id string is made later,
// at the sink's write): the line must be byte for byte the one spillLine writes for the
// pair with formatEntryId(ms, seq) set, after any pairs before it, at any offset (the
// encoder writes four bytes a store, so offsets and lengths that are not multiples of
// four take other paths than those that are).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatEntryId, writeEntryId } from '../../src/entry-id.js';
import type { ProvenanceEntry } from '../../src/schemas.js';
import { NO_ROOM, NOT_PLAIN, SpillLineEncoder } from '../../src/spill/spill-line-encoder.js';
import { spillLine } from '../../src/spill/spill-writer.js';

const asciiString = fc.string({ unit: 'grapheme-ascii', maxLength: 70 });
const fieldValue = fc.oneof({ weight: 4, arbitrary: asciiString }, fc.integer(), fc.boolean(), fc.constant(null));
const entryArb = fc
  .array(fc.tuple(fc.constantFrom('ts', 'cue', 'sessionId', 'rank', 'score', 'note', 'k'), fieldValue), { minLength: 1, maxLength: 6 })
  .map((fields) => Object.fromEntries(fields) as ProvenanceEntry);
const idArb = fc.tuple(fc.integer({ min: 0, max: 9_999_999_999_999 }), fc.maxSafeNat().filter((s) => s < 36 ** 10));

describe('SpillLineEncoder with ids from numbers', () => {
  // Checked: with putPlainString's 4-byte store writing its characters in the wrong order
  // (c3..c0), with KnownBytes dropping its last 0–3 bytes, with the id's ms prefix kept
  // from another ms, or with the seq's high half written as the low one, this fails.
  it('writes the line spillLine writes for the pair with formatEntryId(ms, seq), after any pairs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(asciiString.filter((s) => s.length > 0), entryArb, idArb, fc.nat(9)), { minLength: 1, maxLength: 20 }), (run) => {
        const enc = new SpillLineEncoder();
        const buf = Buffer.alloc(1 << 14, 0xee);
        for (const [recordId, entry, [ms, seq], off] of run) {
          const want = spillLine([recordId, { ...entry, entryId: formatEntryId(ms, seq) }]);
          buf.fill(0xee);
          const end = enc.encode(recordId, entry, buf, off, buf.length, ms, seq);
          if (end === NOT_PLAIN) {
            expect(/[\\]/.test(want), `declined a plain line: ${want}`).toBe(true);
            continue;
          }
          expect(buf.toString('latin1', off, end)).toBe(want);
          expect(buf[end]).toBe(0xee);
          expect(entry.entryId, 'the entry itself is left without an id').toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  // Checked: with the room check of KnownBytes.put removed, the line runs past its limit.
  it('says NO_ROOM, writing nothing past the limit, when the line does not fit', () => {
    const enc = new SpillLineEncoder();
    const entry = { ts: '2026-11-30T12:00:00.000Z', cue: 'a cue', sessionId: 's1' } as ProvenanceEntry;
    const whole = spillLine(['r1', { ...entry, entryId: formatEntryId(1764500000000, 42) }]).length;
    for (let limit = 0; limit < whole; limit++) {
      const buf = Buffer.alloc(whole + 8, 0xee);
      expect(enc.encode('r1', entry, buf, 0, limit, 1764500000000, 42)).toBe(NO_ROOM);
      expect(buf.subarray(limit).every((b) => b === 0xee), `wrote past limit ${limit}`).toBe(true);
    }
  });

  // Checked: with the increment's 9-to-a step made 9-to-: (0x3a), or its carry left out (z
  // wrapping to 0 without raising the digit before it), or the increment taken for any
  // sequence number (not only the last one plus one), this fails.
  it('writes consecutive sequence numbers (each the last one plus one) across every carry', () => {
    const view = new DataView(new ArrayBuffer(256));
    const bytes = new Uint8Array(view.buffer);
    const ms = 1764500000000;
    const runs = [
      [0, 80],
      [36 ** 3 - 5, 36 ** 3 + 5],
      [36 ** 5 - 3, 36 ** 5 + 3],
      [36 ** 9 * 2 - 2, 36 ** 9 * 2 + 2],
      [7, 9], // a jump back: written whole, not incremented
      [36 ** 10 - 3, 36 ** 10 - 1],
    ];
    for (const [from, to] of runs) {
      for (let seq = from!; seq <= to!; seq++) {
        const end = writeEntryId(ms, seq, view, 3, bytes.length);
        expect(Buffer.from(bytes.subarray(3, end)).toString('latin1'), `seq ${seq}`).toBe(formatEntryId(ms, seq));
      }
    }
  });
});
