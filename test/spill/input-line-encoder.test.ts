// Overflow's fast path writes a caller's pair as its spill line straight from the caller's
// objects (SpillLineEncoder.encodeInput): no copy, the check made as the line is written.
// It must never take a pair parsePairs refuses, must write exactly the line of the pair
// parsePairs would queue (with the id the queue gives it), and must take the pairs recall makes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTRY_ID_BYTES, formatEntryId, writeEntryId } from '../../src/entry-id.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { NO_ROOM, NOT_PLAIN, SpillLineEncoder } from '../../src/spill/spill-line-encoder.js';
import { spillLine } from '../../src/spill/spill-writer.js';
import { parsePairs } from '../../src/validate.js';

const MS = 1_764_500_000_123;

/** What parsePairs queues for `pair`, or undefined when it refuses it. */
function queued(pair: unknown): ProvenancePair | undefined {
  try {
    return parsePairs([pair])[0];
  } catch {
    return undefined;
  }
}

/** Encodes `pair` at `off` within `limit` and checks it against parsePairs and spillLine; returns the outcome. */
function expectAsQueued(enc: SpillLineEncoder, pair: unknown, seq: number, off: number, limit: number): number {
  const buf = Buffer.alloc(limit + 16, 0xee);
  const end = enc.encodeInput(pair, MS, seq, buf, off, limit);
  expect(buf[limit], 'wrote past its limit').toBe(0xee);
  if (end < 0) {
    expect([NO_ROOM, NOT_PLAIN]).toContain(end);
    return end;
  }
  const q = queued(pair);
  expect(q, `took a pair parsePairs refuses: ${JSON.stringify(pair)}`).toBeDefined();
  const want = spillLine([q![0], { ...q![1], entryId: formatEntryId(MS, seq) }]);
  expect(buf.subarray(off, end).toString('latin1')).toBe(Buffer.from(want).toString('latin1'));
  return end;
}

const plainChar = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 });
const oddChar = fc.constantFrom('"', '\\', '\u0000', '\n', '\u007f', 'é', '\u2028', '😀');
const str = fc.oneof({ weight: 6, arbitrary: fc.string({ unit: plainChar, maxLength: 10 }) }, fc.string({ unit: fc.oneof(plainChar, oddChar), maxLength: 6 }));
const ts = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('2026-11-30T12:00:00.000Z', '2026-11-30T12:00:00Z') }, fc.constantFrom('', 'yesterday', '2026-13-40T99:00:00Z'), str);
const value = fc.oneof(
  { weight: 4, arbitrary: str },
  fc.integer(),
  fc.double(),
  fc.constantFrom(true, false, null, undefined, -0, 1e21, 5e-324, NaN, Infinity, 10n),
  fc.jsonValue({ maxDepth: 2 }),
);
const extraKey = fc.oneof(fc.constantFrom('rank', 'score', 'k"', '2', '__proto__', 'entryId', 'ké'), fc.string({ unit: plainChar, maxLength: 6 }));
const entry = fc
  .record(
    {
      ts: fc.oneof({ weight: 4, arbitrary: ts }, value),
      cue: fc.oneof({ weight: 4, arbitrary: str }, value),
      sessionId: fc.oneof({ weight: 4, arbitrary: str }, value),
      extra: fc.array(fc.tuple(extraKey, value), { maxLength: 4 }),
      entryId: fc.option(fc.oneof(fc.constant(formatEntryId(MS, 7)), str), { freq: 5 }),
      nullProto: fc.boolean(),
    },
    { requiredKeys: ['extra', 'nullProto'] },
  )
  .map(({ extra, nullProto, entryId, ...fields }) => {
    const e = (nullProto ? Object.create(null) : JSON.parse('{}')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(fields)) e[k] = v;
    // JSON.parse-like own data properties for any key, __proto__ too.
    for (const [k, v] of extra) Object.defineProperty(e, k, { value: v, enumerable: true, writable: true, configurable: true });
    if (entryId !== null) e.entryId = entryId;
    return e;
  });
const recordId = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('r1', 'rec-42') }, fc.constantFrom('', 'x'.repeat(257), 'a\u0000b', 'r"1', 'ré'), str);
const pair = fc.oneof({ weight: 8, arbitrary: fc.tuple(recordId, entry) }, fc.constantFrom(null, 'r1', [], ['r1'], ['r1', {}, 3], ['r1', null], ['r1', []]));

describe('SpillLineEncoder.encodeInput', () => {
  // Checked: with the ts check, the check that ts, cue and sessionId were all seen, or the
  // finite-number check removed, "took a pair parsePairs refuses" fails; with the id's
  // base-36 digits one off, the bytes differ; with encodeInput always NOT_PLAIN, the
  // recall-shaped test fails.
  it('takes only pairs parsePairs accepts, and writes the line of the pair it would queue', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(pair, fc.nat(40), fc.nat(500)), { minLength: 1, maxLength: 20 }), (run) => {
        const enc = new SpillLineEncoder(); // reused across the run: its caches must not leak one pair into the next
        run.forEach(([p, off, room], seq) => {
          expectAsQueued(enc, p, seq, off, off + room); // often too small: NO_ROOM
          expectAsQueued(enc, p, seq, off, off + 4096);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('takes the pairs recall makes, with room enough, in any order of their fields', () => {
    const enc = new SpillLineEncoder();
    for (let i = 0; i < 50; i++) {
      const e = i % 2 === 0
        ? { ts: '2026-11-30T12:00:00.000Z', cue: `cue ${i}`, sessionId: 's1', rank: i % 5, score: 1 / (i + 3) }
        : { rank: i % 5, sessionId: 's1', cue: `cue ${i}`, ts: '2026-11-30T12:00:00.000Z', hit: true, note: null };
      expect(expectAsQueued(enc, [`r${i % 3}`, e], i, 0, 4096)).toBeGreaterThan(0);
    }
  });

  // Checked: with each field read a second time for the line (v re-read as fields[k] when
  // written), the getter's second answer (a number) is written and parsePairs' check fails.
  it('reads each field once: a getter that answers differently the second time writes its first answer', () => {
    let reads = 0;
    const e = { ts: '2026-11-30T12:00:00.000Z', sessionId: 's1' } as Record<string, unknown>;
    Object.defineProperty(e, 'cue', { enumerable: true, get: () => (reads++ === 0 ? 'first' : 5) });
    const buf = Buffer.alloc(1024);
    const end = new SpillLineEncoder().encodeInput(['r1', e], MS, 1, buf, 0, buf.length);
    expect(end).toBeGreaterThan(0);
    expect(reads).toBe(1);
    const line = JSON.parse(buf.toString('utf8', 0, end)) as { entry: { cue: unknown } };
    expect(line.entry.cue).toBe('first');
  });

  // Checked: with both entryId checks removed (the `fields.entryId` read and the for…in's
  // key), the entry is taken and written with a fresh id: its own is lost. (With the for…in's
  // check alone made `continue`, the property test above fails: an entryId key holding undefined.)
  it('leaves an entry with an id of its own to the general path (it may be stored already)', () => {
    const e = { ts: '2026-11-30T12:00:00.000Z', cue: 'c', sessionId: 's1', entryId: formatEntryId(MS, 3) };
    expect(new SpillLineEncoder().encodeInput(['r1', e], MS, 1, Buffer.alloc(1024), 0, 1024)).toBe(NOT_PLAIN);
  });
});

describe('writeEntryId', () => {
  // Checked: with the base-36 digits as 0x61 + d - 10 off by one (0x56 + d), or the ms
  // digits written left to right, this fails.
  it('writes the bytes formatEntryId makes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_999_999_999_999 }), fc.maxSafeNat().filter((s) => s < 36 ** 10), (ms, seq) => {
        const buf = Buffer.alloc(ENTRY_ID_BYTES + 4, 0xee);
        const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
        expect(writeEntryId(ms, seq, view, 2, buf.length)).toBe(2 + ENTRY_ID_BYTES);
        expect(buf.toString('latin1', 2, 2 + ENTRY_ID_BYTES)).toBe(formatEntryId(ms, seq));
        expect(writeEntryId(ms, seq, view, 5, buf.length)).toBe(-1); // no room
      }),
    );
    expect(writeEntryId(1e13, 0, new DataView(new ArrayBuffer(64)), 0, 64)).toBe(-1); // past the fixed width: the string path
  });
});
