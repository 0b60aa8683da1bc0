// A store's high-water mark for entry ids, kept in LMDB, so its ids never go backwards
// across restarts — also when the clock stepped back in between. The mark is a lease: it is
// made durable ID_LEASE_MS ahead of the ids this process hands out, and the id clock never
// passes it until a higher mark is durable, so no id of any run (stored, journaled or
// spilled, even by a process killed with -9) is ever above the mark the next run starts from.
// A renewal is a plain put of this store handle's own key: never a transaction() with a
// JavaScript callback, whose transaction lmdb-js's writer thread holds open waiting for the
// main thread to run it — a process exiting then (process.exit, a signal) never ended
// (Node joins its thread pool at exit). Own keys are never lowered by another process.
import { randomBytes } from 'node:crypto';
import type { Database, RootDatabase } from 'lmdb';
import { holdIdLease, idClockMs, leaseCeilingMs, raiseEntryIdFloor, releaseIdLease, type IdLease } from '../entry-id.js';
import { errorFields, type Logger } from '../log.js';

const HIGH_WATER_KEY = 'entryIdHighWaterMs';
/** Each store handle renews its lease under `entryIdHighWaterMs:<random>`; opens fold them into HIGH_WATER_KEY. */
const OWN_MARK_PREFIX = `${HIGH_WATER_KEY}:`;
/** How far ahead of the ids the mark is kept: a quick restart starts at most this much ahead. */
export const ID_LEASE_MS = 2000;
/** After a failed renewal, ids keep the old ceiling (order holds) and the next try waits this long. */
const RETRY_MS = 1000;

export class IdHighWater implements IdLease {
  ceilingMs = 0;
  renewAtMs = 0;
  private renewing: Promise<void> | null = null;
  private closed = false;
  /** This handle's own mark: a plain put never lowers another process's lease. */
  private readonly ownKey = `${OWN_MARK_PREFIX}${randomBytes(6).toString('hex')}`;

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
      // The highest lease of any run, folded into one key: the per-handle keys of runs that
      // are gone go, and a live one's lease is kept in the fold (its next renewal rewrites its key).
      const { highest, ownKeys } = storedMarks(meta);
      raiseEntryIdFloor(highest + 1);
      mark.setCeiling(leaseCeilingMs(ID_LEASE_MS));
      meta.putSync(HIGH_WATER_KEY, Math.max(highest, mark.ceilingMs));
      for (const key of ownKeys) meta.removeSync(key);
    });
    holdIdLease(mark);
    return mark;
  }

  /** Asked by the id clock from the hot path: one write at a time, the ceiling moves once it is durable. */
  renew(): void {
    if (this.renewing || this.closed) return;
    const target = leaseCeilingMs(ID_LEASE_MS);
    // Out of the caller's stack: ids may be reserved inside a sync write transaction.
    this.renewing = Promise.resolve()
      .then(() => this.meta.put(this.ownKey, target))
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

/** The highest mark stored (the folded key and every handle's own), and the own keys. */
function storedMarks(meta: Database<unknown, string>): { highest: number; ownKeys: string[] } {
  let highest = markValue(meta.get(HIGH_WATER_KEY));
  const ownKeys: string[] = [];
  for (const { key, value } of meta.getRange({ start: OWN_MARK_PREFIX, end: `${OWN_MARK_PREFIX}\uffff` })) {
    ownKeys.push(key);
    highest = Math.max(highest, markValue(value));
  }
  return { highest, ownKeys };
}

function markValue(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
