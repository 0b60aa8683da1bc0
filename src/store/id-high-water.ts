// A store's high-water mark for entry ids, kept in LMDB, so its ids never go backwards
// across restarts — also when the clock stepped back in between. The mark is a lease: it is
// made durable ID_LEASE_MS ahead of the ids this process hands out, and the id clock never
// passes it until a higher mark is durable, so no id of any run (stored, journaled or
// spilled, even by a process killed with -9) is ever above the mark the next run starts from.
import type { Database, RootDatabase } from 'lmdb';
import { holdIdLease, idClockMs, leaseCeilingMs, raiseEntryIdFloor, releaseIdLease, type IdLease } from '../entry-id.js';
import { errorFields, type Logger } from '../log.js';

const HIGH_WATER_KEY = 'entryIdHighWaterMs';
/** How far ahead of the ids the mark is kept: a quick restart starts at most this much ahead. */
export const ID_LEASE_MS = 2000;
/** After a failed renewal, ids keep the old ceiling (order holds) and the next try waits this long. */
const RETRY_MS = 1000;

export class IdHighWater implements IdLease {
  ceilingMs = 0;
  renewAtMs = 0;
  private renewing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly meta: Database<unknown, string>,
    private readonly log: Logger,
  ) {}

  /**
   * Reads the mark, starts this process's ids above it, and makes the first lease durable
   * before any id can use it. One write transaction: processes opening the store at once queue up.
   */
  static open(env: RootDatabase, meta: Database<unknown, string>, log: Logger): IdHighWater {
    const mark = new IdHighWater(meta, log);
    env.transactionSync(() => {
      raiseEntryIdFloor(storedMark(meta) + 1);
      mark.setCeiling(leaseCeilingMs(ID_LEASE_MS));
      meta.putSync(HIGH_WATER_KEY, mark.ceilingMs);
    });
    holdIdLease(mark);
    return mark;
  }

  /** Asked by the id clock from the hot path: one write at a time, the ceiling moves once it is durable. */
  renew(): void {
    if (this.renewing || this.closed) return;
    const target = leaseCeilingMs(ID_LEASE_MS);
    // Out of the caller's stack: ids may be reserved inside a sync write transaction, where
    // lmdb would run a transaction() inline (and return no promise).
    this.renewing = Promise.resolve()
      .then(() =>
        this.meta.transaction(() => {
          // Never lower it: another process sharing the store may hold a later lease.
          if (storedMark(this.meta) < target) void this.meta.put(HIGH_WATER_KEY, target);
        }),
      )
      .then(
        () => {
          if (target > this.ceilingMs) this.setCeiling(target);
        },
        (err: unknown) => {
          this.renewAtMs = idClockMs() + RETRY_MS;
          this.log.warn(errorFields(err), 'could not renew the entry-id high-water mark; ids keep their order and wait for the next try');
        },
      )
      .finally(() => {
        this.renewing = null;
      });
  }

  /** Stops leasing (the store closes): waits for a renewal under way. */
  async close(): Promise<void> {
    this.closed = true;
    releaseIdLease(this);
    await this.renewing;
  }

  private setCeiling(ms: number): void {
    this.ceilingMs = ms;
    this.renewAtMs = ms - ID_LEASE_MS / 2;
  }
}

function storedMark(meta: Database<unknown, string>): number {
  const v = meta.get(HIGH_WATER_KEY);
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
