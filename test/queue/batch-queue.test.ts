// The backlog's in-memory FIFO is a ring that keeps its slots: checked against a plain
// array doing the same operations, across wrap-around, growth and shrinking.
import { describe, expect, it } from 'vitest';
import { BatchQueue, pendingBatch, type PendingBatch } from '../../src/queue/pending-batches.js';
import { seeded } from '../../faults/seeded-random.js';


const batch = (n: number): PendingBatch => pendingBatch([], 0, n, false);

describe('BatchQueue', () => {
  // Checked: with grow() copying slots [0, count) instead of from head, 34,099 mismatches;
  // with unshift stepping head forward instead of back, 41,260. (The shrink of an emptied
  // ring is memory only: not observable here.)
  it('behaves as an array under push, shift, unshift (put back) and takeAll, through growth and wrap-around', () => {
    const random = seeded(7);
    const q = new BatchQueue();
    // The model: an array read from `head` (Array#shift on 10k items would be the slow part).
    let model: PendingBatch[] = [];
    let head = 0;
    let next = 0;
    let mismatches = 0;
    let peak = 0;
    for (let step = 0; step < 80_000; step++) {
      const r = random();
      // Phases fill past the initial 1,024 slots and past 8,192, then drain to empty (the ring shrinks).
      const filling = step % 40_000 < 20_000;
      const pushBias = filling ? 0.75 : 0.2;
      if (r < pushBias) {
        const b = batch(next++);
        q.push(b);
        model.push(b);
      } else if (r < pushBias + 0.05) {
        const b = batch(next++);
        q.unshift(b);
        if (head > 0) model[--head] = b;
        else model.unshift(b);
      } else if (filling || r < 0.999) {
        if (q.shift() !== (head < model.length ? model[head++] : undefined)) mismatches++;
      } else {
        const all = q.takeAll();
        const rest = model.slice(head);
        if (all.length !== rest.length || all.some((b, i) => b !== rest[i])) mismatches++;
        model = [];
        head = 0;
      }
      if (q.length !== model.length - head || q.first() !== model[head]) mismatches++;
      peak = Math.max(peak, q.length);
    }
    expect(mismatches).toBe(0);
    expect(peak).toBeGreaterThan(8192); // the phases reached growth past the kept size
    expect(q.takeAll()).toEqual(model.slice(head));
    expect(q.shift()).toBeUndefined();
  });
});
