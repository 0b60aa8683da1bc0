// Promises in flight, counted, with a wait for their number to fall below a bound. A loop
// of `await Promise.race(set)` hangs a reaction on every member at each turn: a round
// waiting on 1,000 file deletions made half a million of them (row 11's last ~0.3 s).
// Here each member gets one reaction, and a waiter is woken when the count allows it.

interface Waiter {
  below: number;
  wake: () => void;
}

export class InFlight {
  private count = 0;
  private waiters: Waiter[] = [];

  get size(): number {
    return this.count;
  }

  /** Counts `p` until it settles (fulfilled or rejected: the caller handles its outcome). */
  add(p: Promise<unknown>): void {
    this.count++;
    const done = (): void => {
      this.count--;
      if (this.waiters.length > 0) this.wakeDue();
    };
    p.then(done, done);
  }

  /** Resolves once fewer than `limit` are in flight (at once when that is so now). */
  below(limit: number): Promise<void> {
    if (this.count < limit) return Promise.resolve();
    return new Promise((wake) => this.waiters.push({ below: limit, wake }));
  }

  /** Resolves once none is in flight. */
  empty(): Promise<void> {
    return this.below(1);
  }

  private wakeDue(): void {
    const waiting: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.count < w.below) w.wake();
      else waiting.push(w);
    }
    this.waiters = waiting;
  }
}
