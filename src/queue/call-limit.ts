// How many sink calls the worker keeps in flight: at most the sink's maxConcurrentWrites,
// and no more than the sink answers without making them wait. A sink that works its calls
// one after another (a rate limit, one connection) answers each call added in flight with
// that much more latency: past a point the extra calls only wait in the sink, holding
// their pairs in memory long enough for V8 to promote them to its old generation (row 5's
// overload: a throttled sink declaring the store's 64 calls held 16,384 pairs ~0.8 s each).
// A sink that folds overlapping calls together (LMDB joins puts issued during a commit into
// the next transaction), or that is slow but truly parallel (a remote service), keeps its
// latency as calls are added, and keeps every call it declares.
//
// The rule (AIMD on latency, measured on the monotonic clock): a call is late when it took
// longer than both the target and twice the sink's base latency (the fastest call of the
// last one or two windows: what a call costs when it does not wait). A late call halves the
// limit only while the sink answers its calls one at a time: a sink that answers several
// calls at the same moment is batching them (LMDB resolves every call of a transaction
// together), and there more calls in flight make bigger batches — more throughput, not only
// more waiting: on a loaded machine, cutting the store's calls for its slow commits took row
// 2 from 1.3× to 0.45× of raw lmdb. It cuts once per round trip: only a call started after
// the last cut may cut again, so the calls in flight when the sink slowed do not each cut
// it. A call answered
// within half the target, or within 1.5× the base latency, raises the limit by one: the
// limit doubles per round trip, from 1 back to the maximum in a few. Failed calls change
// nothing: retries and the breaker deal with those.

/** A call answered later than this (and than twice the base latency) waited in the sink. */
export const CALL_LATENCY_TARGET_MS = 100;
/** The base latency is the fastest call of the current window or the one before it. */
const BASE_WINDOW_MS = 10_000;
/** Calls answered within this of the one before were answered together (one batch). */
const TOGETHER_MS = 1;
/** The counts of answers alone and together are halved past this: recent answers decide. */
const ANSWERS_REMEMBERED = 256;

export class CallLimit {
  private limit: number;
  /** When the limit was last cut (performance.now()); calls started before it cannot cut it again. */
  private cutAt = -Infinity;
  private windowStart = -Infinity;
  private windowMin = Infinity;
  private previousMin = Infinity;
  private lastAnswerAt = -Infinity;
  /** Recent answers that came alone or together with the one before (halved at each cut). */
  private alone = 0;
  private together = 0;

  /** `max`: the sink's maxConcurrentWrites (already at least 1). */
  constructor(
    readonly max: number,
    private readonly targetMs = CALL_LATENCY_TARGET_MS,
  ) {
    this.limit = max;
  }

  /** Calls that may be in flight now: 1 to max. */
  get current(): number {
    return this.limit;
  }

  /** A call started at `startedAt` (performance.now()) succeeded now. */
  succeeded(startedAt: number): void {
    const now = performance.now();
    const latency = now - startedAt;
    const base = this.noteBase(latency, now);
    if (now - this.lastAnswerAt < TOGETHER_MS) this.together++;
    else this.alone++;
    if (this.alone + this.together > ANSWERS_REMEMBERED) {
      this.alone /= 2;
      this.together /= 2;
    }
    this.lastAnswerAt = now;
    if (latency > this.targetMs && latency > 2 * base) {
      if (startedAt < this.cutAt || this.together >= this.alone) return;
      this.limit = Math.max(1, Math.floor(this.limit / 2));
      this.cutAt = now;
      this.alone /= 2;
      this.together /= 2;
    } else if ((latency <= this.targetMs / 2 || latency <= 1.5 * base) && this.limit < this.max) {
      this.limit++;
    }
  }

  /** Adds a latency to the window and returns the base latency. */
  private noteBase(latency: number, now: number): number {
    if (now - this.windowStart >= BASE_WINDOW_MS) {
      this.previousMin = this.windowMin;
      this.windowMin = Infinity;
      this.windowStart = now;
    }
    if (latency < this.windowMin) this.windowMin = latency;
    return Math.min(this.windowMin, this.previousMin);
  }
}
