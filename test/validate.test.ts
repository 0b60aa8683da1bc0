// parsePairs has a fast path for the common shape; zod is the judge. On any input the two
// must agree: a pair the schema rejects is never let through by the fast path.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { InvalidPairError } from '../src/errors.js';
import { provenancePairsSchema, spillLineSchema } from '../src/schemas.js';
import { isPlainValidSpillLine, parsePairs, checkPairs } from '../src/validate.js';
import { formatEntryId } from '../src/entry-id.js';
import { findJsonFault, isFlatJsonRecord, MAX_JSON_CHARS, MAX_JSON_VALUES } from '../src/json-data.js';

// A valid pair with at most one thing wrong with it, or anything at all.
const validTs = fc.date({ min: new Date(0), max: new Date('2999-12-31'), noInvalidDate: true }).map((d) => d.toISOString());
const badId = fc.constantFrom<unknown>('', 'a\u0000b', 'x'.repeat(257), 'x'.repeat(301), undefined, null, 7, ['r']);
const oddTs = fc.constantFrom<unknown>(
  '2026-01-31T12:00:00Z',
  '2026-01-31T12:00:00+02:00',
  '2026-02-30T12:00:00.000Z',
  '2026-13-01T00:00:00.000Z',
  '2026-01-31T12:00:00.000',
  '2026-01-31',
  'yesterday',
  '',
  undefined,
  0,
  new Date(0),
);
const oddEntry = fc.constantFrom<unknown>(null, [], 'entry', Object.create(null), new Date(0));
// Ids in the library's formats (assigned, derived for a hand-made line) and look-alikes that are not.
const libraryId = fc.constantFrom(
  formatEntryId(1767225600000, 0),
  formatEntryId(1, 36 ** 9),
  '1767225600000-file:x.jsonl:000000003',
  '1767225600000-file:a:b €.jsonl:000000012',
);
const foreignId = fc.constantFrom('e1', 'custom-1', '1767225600000-abc-0000000001', '176722560000-abcdefg-0000000001', '1767225600000-ABCDEFG-0000000001', '1767225600000-file::000000001', '1767225600000-file:x:12');
// Values that are not plain JSON data, and containers that hide one (issue 9, item 3).
const notJson = fc.constantFrom<() => unknown>(
  () => 1n,
  () => () => 1,
  () => Symbol('s'),
  () => undefined,
  () => Number.NaN,
  () => -Infinity,
  () => new Date(0),
  () => new Map(),
  () => new (class Point {})(),
  () => [1, undefined],
  () => [1, , 3], // a hole
  () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    return o;
  },
  () => {
    const a: unknown[] = [];
    a.push({ back: a });
    return a;
  },
  () => JSON.parse('{"__proto__": 1}') as unknown,
  () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    return deep;
  },
  () => {
    const shared = Array.from({ length: 200 }, () => 1); // 200 × 60 values once repeated: over the limit
    return Array.from({ length: 60 }, () => shared);
  },
);
const jsonExtra = fc.jsonValue({ maxDepth: 3 });
const nearlyValidPair = fc
  .record({
    recordId: fc.string({ minLength: 1, maxLength: 8 }),
    ts: validTs,
    cue: fc.string(),
    entryId: fc.option(fc.oneof(libraryId, foreignId, fc.string({ minLength: 1, maxLength: 8 })), { nil: undefined }),
    flaw: fc.nat(11),
    notJson,
    jsonExtra,
    depth: fc.nat(3),
    badId,
    oddTs,
    oddEntry,
    long: fc.constantFrom('x'.repeat(256), 'x'.repeat(300)),
  })
  .map((g): unknown => {
    const entry: Record<string, unknown> = { ts: g.ts, cue: g.cue, sessionId: 's', rank: 1 };
    if (g.entryId !== undefined) entry.entryId = g.entryId;
    const pair: unknown[] = [g.recordId, entry];
    switch (g.flaw) {
      case 0: pair[0] = g.badId; break;
      case 1: entry.entryId = g.badId; break;
      case 2: entry.ts = g.oddTs; break;
      case 3: delete entry.cue; break;
      case 4: entry.sessionId = 3; break;
      case 5: pair[1] = g.oddEntry; break;
      case 6: pair.push('extra'); break;
      case 7: pair[0] = g.long; entry.entryId = g.long; break; // at the limits: valid or not by length
      case 8: entry.meta = nest(g.notJson(), g.depth); break; // not JSON data, at some depth
      case 9: entry.meta = g.jsonExtra; break; // JSON data: valid
      default: break; // valid
    }
    return pair;
  });
/** `v` inside `depth` levels of objects and arrays. */
function nest(v: unknown, depth: number): unknown {
  for (let i = 0; i < depth; i++) v = i % 2 ? [0, v] : { k: v };
  return v;
}
const pairLike = fc.oneof({ arbitrary: nearlyValidPair, weight: 8 }, { arbitrary: fc.anything(), weight: 1 });

describe('parsePairs', () => {
  it('accepts exactly what the zod schema accepts', () => {
    fc.assert(
      fc.property(fc.array(pairLike, { maxLength: 3 }), (pairs) => {
        const zodOk = provenancePairsSchema.safeParse(pairs).success;
        // Both checks (enqueue's, with copies; the sink's, without) agree with zod exactly.
        for (const check of [parsePairs, checkPairs]) {
          let ok = true;
          try {
            check(pairs);
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidPairError);
            ok = false;
          }
          expect(ok).toBe(zodOk);
        }
      }),
      { numRuns: 5000 },
    );
  });

  // Checked: with the remembered ts starting as '' (as it did), a process's first pair with
  // ts '' was accepted by both checks (fast-check found it, seed 1018762976) and this fails.
  it('rejects an empty ts also before any ts was accepted (a fresh module)', async () => {
    vi.resetModules();
    const fresh = await import('../src/validate.js');
    const pair = ['r', { ts: '', cue: 'c', sessionId: 's' }];
    expect(() => fresh.parsePairs([pair])).toThrow(/pairs\[0\]\.entry\.ts/);
    expect(() => fresh.checkPairs([pair])).toThrow(/pairs\[0\]\.entry\.ts/);
  });

  it('rejects a bad ts right after the same-shaped good one (the ts cache never vouches for another string)', () => {
    const good = ['r', { ts: '2026-01-31T12:00:00.000Z', cue: 'c', sessionId: 's' }];
    expect(parsePairs([good])).toHaveLength(1);
    expect(() => parsePairs([['r', { ts: '2026-01-31T12:00:00.000', cue: 'c', sessionId: 's' }]])).toThrow(/pairs\[0\]\.entry\.ts/);
  });

  it('returns copies: changing a pair after it was parsed changes nothing parsed', () => {
    const entry = { ts: '2026-01-31T12:00:00.000Z', cue: 'c', sessionId: 's' };
    const pair: [string, typeof entry] = ['r', entry];
    const [parsed] = parsePairs([pair]);
    entry.ts = 'garbage';
    pair[0] = '';
    expect(parsed).toEqual(['r', { ts: '2026-01-31T12:00:00.000Z', cue: 'c', sessionId: 's' }]);
  });
});

describe('parsePairs and fields read twice', () => {
  // Checked: with the fast path checking the caller's pair and then copying it (as before
  // session 9), the getters' second answers are what is returned: cue 5 and an empty
  // recordId, which the schema refuses and which, spilled, would quarantine a whole file.
  it('checks what it returns: a getter answering differently on a second read cannot slip an invalid pair through', () => {
    let cueReads = 0;
    const entry = { ts: '2026-11-30T12:00:00.000Z', sessionId: 's1' } as Record<string, unknown>;
    Object.defineProperty(entry, 'cue', { enumerable: true, get: () => (cueReads++ === 0 ? 'first' : 5) });
    let idReads = 0;
    const pair = [undefined, entry] as unknown[];
    Object.defineProperty(pair, 0, { enumerable: true, get: () => (idReads++ === 0 ? 'r1' : '') });
    let parsed: unknown;
    try {
      parsed = parsePairs([pair]);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidPairError); // refusing it is fine too
      return;
    }
    expect(provenancePairsSchema.safeParse(parsed).success, JSON.stringify(parsed)).toBe(true);
  });
});

describe('isPlainValidSpillLine', () => {
  // A spill line made from a nearly valid pair, sometimes with a flaw of its own.
  const nearlyValidLine = fc.tuple(nearlyValidPair, fc.nat(5), fc.oneof(badId, fc.string({ minLength: 1, maxLength: 4 }))).map(([p, flaw, id]): unknown => {
    const [recordId, entry] = Array.isArray(p) ? p : [undefined, undefined];
    const line: Record<string, unknown> = { recordId, entry };
    if (flaw === 1) line.entryId = id;
    if (flaw === 4) line.entryId = formatEntryId(1767225600000, 1);
    if (flaw === 5 && entry && typeof entry === 'object') (entry as Record<string, unknown>).big = 'BIG'; // 1e999: Infinity once parsed
    if (flaw === 2) line.extra = 1;
    if (flaw === 3) delete line.entry;
    let text: string | undefined;
    try {
      text = JSON.stringify(line)?.replace('"BIG"', '1e999');
    } catch {
      text = undefined; // a BigInt or a cycle: no file holds that
    }
    return JSON.parse(text ?? 'null') as unknown; // as read from a file
  });

  it('never vouches for a line the schema rejects', () => {
    fc.assert(
      fc.property(fc.oneof({ arbitrary: nearlyValidLine, weight: 8 }, { arbitrary: fc.jsonValue(), weight: 1 }), (line) => {
        if (isPlainValidSpillLine(line)) expect(spillLineSchema.safeParse(line).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('takes the lines the queue writes', () => {
    const id = formatEntryId(1767225600000, 7);
    const line = { recordId: 'r', entryId: id, entry: { ts: '2026-01-31T12:00:00.000Z', cue: 'c', sessionId: 's', entryId: id, rank: 0 } };
    expect(isPlainValidSpillLine(JSON.parse(JSON.stringify(line)))).toBe(true);
  });
});

describe('isFlatJsonRecord (the read-back fast path of findJsonFault)', () => {
  // Flat values, some of them not JSON data: the fast path must never pass what the full walk faults.
  const flatValue = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 6 }), // lone surrogates among them
    fc.constantFrom<unknown>('\ud800', 'a\udc00', Number.NaN, Infinity, -Infinity, undefined, 1n, null, true, 0, -1.5),
    fc.double(),
    fc.constantFrom<unknown>({}, [], { nested: 1 }, new Date(0)),
  );
  const flatKey = fc.oneof(fc.string({ unit: 'binary', maxLength: 5 }), fc.constantFrom('__proto__', '\ud800k'));
  const record = fc.array(fc.tuple(flatKey, flatValue), { maxLength: 6 }).map((fields) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of fields) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  });

  it('passes only what findJsonFault finds no fault in', () => {
    fc.assert(
      fc.property(record, (o) => {
        if (isFlatJsonRecord(o)) expect(findJsonFault(o)).toBeNull();
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a flat record past the character or value limit, and one on a polluted prototype, as findJsonFault does', () => {
    const long = { cue: 'x'.repeat(MAX_JSON_CHARS) };
    expect(findJsonFault(long)).not.toBeNull();
    expect(isFlatJsonRecord(long)).toBe(false);
    const many = Object.fromEntries(Array.from({ length: MAX_JSON_VALUES }, (_, i) => [`k${i}`, 0])); // with itself, one value too many
    expect(findJsonFault(many)).not.toBeNull();
    expect(isFlatJsonRecord(many)).toBe(false);
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'yes';
    try {
      expect(isFlatJsonRecord({ cue: 'c' })).toBe(false);
    } finally {
      delete proto.polluted;
    }
  });

  it('takes the entries the queue writes (the fast path is taken)', () => {
    expect(isFlatJsonRecord({ ts: '2026-01-31T12:00:00.000Z', cue: 'c', sessionId: 's', entryId: formatEntryId(1767225600000, 7), rank: 0, score: 0.5, ok: true, note: null })).toBe(true);
  });
});
