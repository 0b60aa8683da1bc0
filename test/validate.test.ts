// parsePairs has a fast path for the common shape; zod is the judge. On any input the two
// must agree: a pair the schema rejects is never let through by the fast path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidPairError } from '../src/errors.js';
import { provenancePairsSchema, spillLineSchema } from '../src/schemas.js';
import { isPlainValidSpillLine, parsePairs } from '../src/validate.js';

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
const nearlyValidPair = fc
  .record({
    recordId: fc.string({ minLength: 1, maxLength: 8 }),
    ts: validTs,
    cue: fc.string(),
    entryId: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
    flaw: fc.nat(9),
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
      default: break; // valid
    }
    return pair;
  });
const pairLike = fc.oneof({ arbitrary: nearlyValidPair, weight: 8 }, { arbitrary: fc.anything(), weight: 1 });

describe('parsePairs', () => {
  it('accepts exactly what the zod schema accepts', () => {
    fc.assert(
      fc.property(fc.array(pairLike, { maxLength: 3 }), (pairs) => {
        const zodOk = provenancePairsSchema.safeParse(pairs).success;
        let ok = true;
        try {
          parsePairs(pairs);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidPairError);
          ok = false;
        }
        expect(ok).toBe(zodOk);
      }),
      { numRuns: 5000 },
    );
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

describe('isPlainValidSpillLine', () => {
  // A spill line made from a nearly valid pair, sometimes with a flaw of its own.
  const nearlyValidLine = fc.tuple(nearlyValidPair, fc.nat(5), fc.oneof(badId, fc.string({ minLength: 1, maxLength: 4 }))).map(([p, flaw, id]): unknown => {
    const [recordId, entry] = Array.isArray(p) ? p : [undefined, undefined];
    const line: Record<string, unknown> = { recordId, entry };
    if (flaw === 1) line.entryId = id;
    if (flaw === 2) line.extra = 1;
    if (flaw === 3) delete line.entry;
    return JSON.parse(JSON.stringify(line) ?? 'null') as unknown; // as read from a file
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
    const line = { recordId: 'r', entryId: 'e1', entry: { ts: '2026-01-31T12:00:00.000Z', cue: 'c', sessionId: 's', entryId: 'e1', rank: 0 } };
    expect(isPlainValidSpillLine(JSON.parse(JSON.stringify(line)))).toBe(true);
  });
});
