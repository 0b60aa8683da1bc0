// A write whose answer never came (the connection failed after the statement was sent: a
// network cut, a failover, a server restart) may have committed. Ids the store assigned
// exist nowhere but in this call: a caller's retry would get new ones and store the pairs a
// second time. So the store retries such a write itself, with the same ids, where a
// committed first attempt makes the retry a no-op (ON CONFLICT DO NOTHING).
import pg from 'pg';

/** Waits before each retry of a write whose answer was lost; then the caller is told. */
const RETRY_AFTER_MS = [100, 400, 1000];

/**
 * True when the statement may have committed: anything but the server's own ERROR (which
 * rolls the statement back). A FATAL or PANIC ends the connection, maybe after the commit.
 */
export function mayHaveCommitted(err: unknown): boolean {
  return !(err instanceof pg.DatabaseError && err.severity === 'ERROR');
}

/** A write of ids assigned here that failed after some attempt may have committed: a call again may store its pairs twice. */
export class OutcomeUnknown extends Error {
  constructor(readonly failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

/**
 * Runs `write`; when it fails with its outcome unknown and `sameIdsAgain` (its ids were
 * assigned here), runs it again, a few times, until it is answered or `stopped()`. Gives up
 * with OutcomeUnknown when `sameIdsAgain` and an attempt may have committed.
 */
export async function writeUntilAnswered<T>(write: () => Promise<T>, sameIdsAgain: boolean, stopped: () => boolean): Promise<T> {
  let unknown = false;
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      unknown ||= sameIdsAgain && mayHaveCommitted(err);
      if (!unknown || stopped() || attempt >= RETRY_AFTER_MS.length) throw unknown ? new OutcomeUnknown(err) : err;
      await new Promise((r) => setTimeout(r, RETRY_AFTER_MS[attempt]));
    }
  }
}
