// The order of a sync write's puts (src/store/by-record.ts): every pair once, grouped by
// record in record-id order, in enqueue order within a record. Checked: returning the
// indices unsorted fails "grouped"; swapping two pairs of one record fails "in order".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProvenancePair } from '../../src/schemas.js';
import { byRecord } from '../../src/store/by-record.js';

const pairsOf = (recordIds: string[]): ProvenancePair[] => recordIds.map((id, i) => [id, { ts: '2026-11-30T00:00:00.000Z', cue: `c${i}`, sessionId: 's' }]);

describe('byRecord', () => {
  it('puts every pair once, grouped by record in record-id order, in order within a record', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'r10', 'r2', 'é', ''), { maxLength: 200 }), (ids) => {
        const pairs = pairsOf(ids);
        const order = [...byRecord(pairs)];
        expect([...order].sort((x, y) => x - y)).toEqual(ids.map((_, i) => i));
        for (let k = 1; k < order.length; k++) {
          const prev = ids[order[k - 1]!]!;
          const cur = ids[order[k]!]!;
          expect(prev <= cur, `grouped: ${JSON.stringify(prev)} before ${JSON.stringify(cur)}`).toBe(true);
          if (prev === cur) expect(order[k - 1]! < order[k]!, 'in order within a record').toBe(true);
        }
      }),
    );
  });
});
