// The journal's byte encoder against the general path, `spillLine`: the same bytes, for any
// pair it takes, after any pairs before it (it reuses what they had in common), and it
// takes every pair whose line is plain ASCII — so the journal's lines are the spill
// format the readers judge, not a dialect of it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProvenanceEntry } from '../../src/schemas.js';
import { NO_ROOM, NOT_PLAIN, SpillLineEncoder } from '../../src/spill/spill-line-encoder.js';
import { spillLine } from '../../src/spill/spill-writer.js';

/** A line the fast path must take: printable ASCII, nothing escaped (an escape is a backslash). */
function isPlainAsciiLine(line: Buffer): boolean {
  for (let i = 0; i < line.length - 1; i++) if (line[i]! < 0x20 || line[i]! > 0x7f || line[i] === 0x5c) return false;
  return line[line.length - 1] === 0x0a;
}

/** Encodes one pair at `off` within `limit` and checks the outcome against spillLine. */
function expectSameAsSpillLine(enc: SpillLineEncoder, recordId: string, entry: ProvenanceEntry, off = 7, limit = 1 << 16, unusual = false): number {
  const want = Buffer.from(spillLine([recordId, entry]));
  const buf = Buffer.alloc(Math.max(limit, 1 << 16), 0xee);
  const end = enc.encode(recordId, entry, buf, off, limit);
  if (end >= 0) expect(buf.subarray(off, end).toString('latin1')).toBe(want.toString('latin1'));
  else if (end === NOT_PLAIN) expect(unusual || !isPlainAsciiLine(want), `declined a plain line: ${want.toString()}`).toBe(true);
  else expect(end === NO_ROOM && (want.length > limit - off || !isPlainAsciiLine(want))).toBe(true);
  if (!unusual && isPlainAsciiLine(want) && want.length <= limit - off) expect(end, `did not take ${want.toString()}`).toBeGreaterThanOrEqual(0);
  expect(buf[limit] === 0xee || limit >= buf.length, 'wrote past its limit').toBe(true);
  return end;
}

// Characters that take every branch: plain ASCII (most), the ones JSON escapes, DEL, and
// the ones UTF-8 writes in several bytes (U+2028 as it is, a lone surrogate escaped).
const char = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  fc.constantFrom('"', '\\', '\u0000', '\n', '\u001f', '\u007f', 'é', '\u2028', '\ud800', '\udfff', '😀', '\u0080'),
);
const oddString = fc.string({ unit: char, maxLength: 12 });
// A small pool, so values and keys repeat from pair to pair (the encoder's reuse).
const pooled = fc.constantFrom('2026-11-30T13:46:32.832Z', 'bench', 'cue 1', 's"1', 'é', '1764500000000-abc1234-0000000001', '');
const someString = fc.oneof(pooled, oddString);
const key = fc.oneof(fc.constantFrom('ts', 'cue', 'sessionId', 'rank', 'score', 'entryId', '2', '10', '__proto__', 'k"', 'ké'), oddString);
const value = fc.oneof(
  { weight: 6, arbitrary: someString },
  fc.integer(),
  fc.double(),
  fc.constantFrom(true, false, null, undefined, -0, 1e21, 5e-324),
  fc.jsonValue({ maxDepth: 2 }),
  fc.array(someString, { maxLength: 3 }), // nested: JSON.stringify's own escapes and non-ASCII
  fc.dictionary(oddString, someString, { maxKeys: 3 }),
);
const entryArb = fc
  .tuple(fc.array(fc.tuple(key, value), { maxLength: 7 }), fc.option(someString, { nil: undefined }), fc.boolean())
  .map(([fields, entryId, idFirst]) => {
    // JSON.parse makes own data properties for any key, __proto__ too, in JSON.stringify's order.
    const e = JSON.parse('{}') as Record<string, unknown>;
    if (entryId !== undefined && idFirst) e.entryId = entryId;
    // The queue only holds string ids (the schema's rule); any other field may hold anything.
    for (const [k, v] of fields.filter(([k, v]) => k !== 'entryId' || typeof v === 'string')) Object.defineProperty(e, k, { value: v, enumerable: true, writable: true, configurable: true });
    if (entryId !== undefined && !idFirst) e.entryId = entryId;
    return e as ProvenanceEntry;
  });
const pairArb = fc.tuple(someString, entryArb);

describe('SpillLineEncoder', () => {
  // Checked: with the quote or the backslash dropped from putPlainString's refusals, with
  // the key cache ignoring whether the value is a string (`":"` against `":`), with
  // `continue` for undefined values removed, with `values[slot]` set before the plain
  // check, or with putJsonAscii taking any character, this fails; with `encode` always
  // returning NOT_PLAIN, "did not take" fails.
  it('writes the bytes spillLine writes, for any run of pairs, or declines a pair it cannot', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(pairArb, fc.nat(40), fc.nat(400)), { minLength: 1, maxLength: 30 }), (run) => {
        const enc = new SpillLineEncoder();
        for (const [[recordId, entry], off, room] of run) {
          expectSameAsSpillLine(enc, recordId, entry, off, off + room); // often too small: NO_ROOM
          expectSameAsSpillLine(enc, recordId, entry, off); // room enough
        }
      }),
      { numRuns: 400 },
    );
  });

  // Checked: with the entry's entryId key not skipped (the id written again inside the
  // entry), the recall pairs differ from spillLine; with the value cache hit not checking the string
  // (any value in the slot's memory copied), the second recall's cue is the first one's.
  it('the pairs of recalls as the store makes them: shared ts, cue and session, the entryId last', () => {
    const enc = new SpillLineEncoder();
    for (const cue of ['tea', 'coffee', 'tea "green"', 'thé', 'tea']) {
      for (let rank = 0; rank < 5; rank++) {
        const entry = { ts: '2026-11-30T13:46:32.832Z', cue, sessionId: 's1', rank, score: 1 / (rank + 3), entryId: `1764500000000-abc1234-000000000${rank}` };
        expectSameAsSpillLine(enc, `r${rank}`, entry);
      }
    }
  });

  // Checked: with the Object.prototype check removed, the polluted key is written into the
  // line (JSON.stringify leaves inherited keys out); with the toJSON check removed, the
  // entry's own fields are written instead of what toJSON returns.
  it('declines entries JSON.stringify would treat specially: inherited keys, toJSON, a class instance', () => {
    const enc = new SpillLineEncoder();
    const plain = { ts: '2026-11-30T13:46:32.832Z', cue: 'c', sessionId: 's' } as ProvenanceEntry;
    expect(expectSameAsSpillLine(enc, 'r1', plain)).toBeGreaterThan(0);
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'x';
    try {
      expect(expectSameAsSpillLine(enc, 'r1', plain, 0, 1 << 16, true)).toBe(NOT_PLAIN);
    } finally {
      delete proto.polluted;
    }
    const withToJson = { ...plain, toJSON: () => ({ other: 1 }) } as unknown as ProvenanceEntry;
    expect(expectSameAsSpillLine(enc, 'r1', withToJson, 0, 1 << 16, true)).toBe(NOT_PLAIN);
    class Entry {
      ts = '2026-11-30T13:46:32.832Z';
      cue = 'c';
      sessionId = 's';
    }
    expect(expectSameAsSpillLine(enc, 'r1', new Entry() as ProvenanceEntry, 0, 1 << 16, true)).toBe(NOT_PLAIN);
    const bare = Object.assign(Object.create(null) as object, plain) as ProvenanceEntry;
    expect(expectSameAsSpillLine(enc, 'r1', bare)).toBeGreaterThan(0);
  });
});

/** The line as the contract's format says, built the slow way: the id once, on the line; the entry without it. */
function lineWithIdOnce(recordId: string, entry: ProvenanceEntry): string {
  const fields = Object.fromEntries(Object.entries(entry).filter(([k]) => k !== 'entryId'));
  return `${JSON.stringify({ recordId, entryId: entry.entryId, entry: fields })}\n`;
}

// Fields that look like the end of an entry whose last key is its entryId: in a string, or
// nested (`{"a":1,"entryId":<the same id>}` holds the very text that ends such an entry).
const lookalike = fc.constantFrom(',"entryId":"1764500000000-abc1234-0000000001"}', '1764500000000-abc1234-0000000001', '\\",\\"entryId\\":\\"x', ',"entryId":');
const trickyEntryArb = fc
  .tuple(entryArb, fc.oneof(lookalike, fc.dictionary(fc.constantFrom('entryId', 'a'), fc.oneof(lookalike, someString), { maxKeys: 2 }), fc.constant('same id nested')), fc.boolean())
  .map(([entry, mimic, afterId]) => {
    const id = entry.entryId;
    const field = mimic === 'same id nested' ? { a: 1, entryId: id } : mimic;
    // A new entry (fast-check reuses the one it made while shrinking), keys in order.
    const e = JSON.parse('{}') as Record<string, unknown>;
    const own = (k: string, v: unknown) => Object.defineProperty(e, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (const [k, v] of Object.entries(entry)) if (k !== 'entryId' || afterId) own(k, v);
    own('zz', field); // after the id (then not the last key), or before it: the id last, after a field that mimics it
    if (!afterId && id !== undefined) own('entryId', id);
    return e as ProvenanceEntry;
  });

describe('spillLine', () => {
  // Checked: with spillLine writing the entry as it is (its entryId too, the format before
  // session 8), every pair with an id fails; with the tail check made `json.includes(tail)`
  // (cutting the last characters whatever matched), the entries whose last field mimics the
  // id's tail fail; with the copy's fallback removed (the entry written whole when the id is
  // not its last key), the entries with the id first fail.
  it('writes the id once, on the line, and the entry as JSON.stringify writes it without its entryId', () => {
    fc.assert(
      fc.property(someString, fc.oneof(entryArb, trickyEntryArb), (recordId, entry) => {
        expect(spillLine([recordId, entry])).toBe(lineWithIdOnce(recordId, entry));
      }),
      { numRuns: 2000 },
    );
  });
});
