// InFlight: the merged read-back's count of calls and file deletions in flight, with waits
// for it to fall below a bound (it replaced loops of Promise.race over the whole set).
import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/queue/in-flight.js';

/** A promise the test settles by hand. */
function gate() {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const p = new Promise<void>((resolve, reject) => ((open = resolve), (fail = reject)));
  return { p, open, fail };
}

/** Whether `p` has settled once the microtasks queued now have run. */
async function settledNow(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('InFlight', () => {
  it('below(n) waits while n or more are in flight and resolves once one settles', async () => {
    const f = new InFlight();
    const gates = [gate(), gate(), gate()];
    for (const g of gates) f.add(g.p);
    expect(f.size).toBe(3);
    expect(await settledNow(f.below(4))).toBe(true);
    const below3 = f.below(3);
    const below2 = f.below(2);
    expect(await settledNow(below3)).toBe(false);
    gates[1]!.open();
    expect(await settledNow(below3)).toBe(true);
    expect(f.size).toBe(2);
    expect(await settledNow(below2)).toBe(false); // 2 still in flight: not below 2
    gates[0]!.open();
    expect(await settledNow(below2)).toBe(true);
  });

  it('empty() resolves once every member settled, a rejected one included, and at once when none is in flight', async () => {
    const f = new InFlight();
    expect(await settledNow(f.empty())).toBe(true);
    const a = gate();
    const b = gate();
    f.add(a.p);
    f.add(b.p);
    b.p.catch(() => {}); // the caller handles its own outcomes
    const empty = f.empty();
    b.fail(new Error('a failed member'));
    expect(await settledNow(empty)).toBe(false);
    expect(f.size).toBe(1);
    a.open();
    expect(await settledNow(empty)).toBe(true);
    expect(f.size).toBe(0);
  });

  it('wakes only the waiters whose bound is met, and keeps the others', async () => {
    const f = new InFlight();
    const gates = Array.from({ length: 4 }, gate);
    for (const g of gates) f.add(g.p);
    const empty = f.empty();
    const below4 = f.below(4);
    gates[3]!.open();
    expect(await settledNow(below4)).toBe(true);
    expect(await settledNow(empty)).toBe(false);
    for (const g of gates.slice(0, 3)) g.open();
    expect(await settledNow(empty)).toBe(true);
  });
});
