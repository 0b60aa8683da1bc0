// An entry id carries its ms first, as 13 digits: ids sort by time across processes, and a
// store's high-water mark reads the ms back (issuedIdTime). formatEntryId keeps the prefix
// of the last ms it formatted (the ids of a batch share it): a new ms gets its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTRY_ID_BYTES, ENTRY_ID_FORMAT, formatEntryId, issuedIdTime } from '../../src/entry-id.js';

describe('formatEntryId', () => {
  // Checked: with the kept prefix never replaced (made once, for the first ms), the ids of
  // every later ms carry the first one's and this fails.
  it('writes each id with its own ms, whatever ms came before, in the library format', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 9_999_999_999_999 }), fc.integer({ min: 0, max: 36 ** 10 - 1 })), { minLength: 1, maxLength: 20 }), (ids) => {
        for (const [ms, seq] of ids) {
          const id = formatEntryId(ms, seq);
          expect(id).toMatch(ENTRY_ID_FORMAT);
          expect(id).toHaveLength(ENTRY_ID_BYTES);
          expect(issuedIdTime(id)).toBe(ms);
          expect(parseInt(id.slice(-10), 36)).toBe(seq);
        }
      }),
    );
  });
});
