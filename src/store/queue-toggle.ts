// The store side of the queue, shared by every store: switching it on (idempotent, and
// never silently ignoring different options), off (drain, bounded), and closing once.
import { InvalidOptionsError, QueueEnabledError } from '../errors.js';
import { deadlineOf, parseStopOptions, settlesBefore } from '../queue/deadline.js';
import { ProvenanceWriteQueue, type DirectQueueOptions } from '../queue/provenance-write-queue.js';
import type { QueueOptions, StopOptions } from '../schemas.js';
import type { ProvenanceSink } from '../sink.js';
import { describeValue } from '../validate.js';

/** Queue options for a store's queue: the store fills in spillDir, journalDir and the logger. */
export type StoreQueueOptions = Partial<QueueOptions>;

export class QueueToggle {
  private queue: ProvenanceWriteQueue | null = null;
  private options: StoreQueueOptions | undefined;
  /** Stops of queues a disable detached, until they resolve. */
  private readonly stopping = new Set<Promise<void>>();

  constructor(
    private readonly sink: ProvenanceSink,
    private readonly defaults: () => DirectQueueOptions,
  ) {}

  get current(): ProvenanceWriteQueue | null {
    return this.queue;
  }

  /** Starts a queue, or returns the running one when `opts` is absent or the same as its options. */
  enable(opts: StoreQueueOptions | undefined): ProvenanceWriteQueue {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
      throw new InvalidOptionsError(
        `invalid enableProvenanceQueue options: expected an object such as { coalesceMs: 20 }, got ${describeValue(opts)}; call it with no argument for the defaults`,
      );
    }
    if (this.queue?.running) {
      if (opts === undefined || sameOptions(opts, this.options ?? {})) return this.queue;
      throw new QueueEnabledError(
        `enableProvenanceQueue: a queue is already on with other options (${describe(this.options ?? {})}, asked for ${describe(opts)}); ` +
          'call disableProvenanceQueue() first to change them',
      );
    }
    const queue = new ProvenanceWriteQueue(this.sink, { ...this.defaults(), ...opts });
    queue.start();
    this.queue = queue;
    this.options = opts;
    return queue;
  }

  /** Detaches the queue first (recalls from now on take the sync path), then drains it, bounded. */
  disable(opts?: StopOptions): Promise<void> {
    parseStopOptions(opts, 'disableProvenanceQueue'); // a bad argument throws, also with no queue on
    return this.detachAndStop(opts);
  }

  /**
   * Also waits, within this call's own deadline, for queues an earlier disable detached and
   * is still draining: `close()` (or a second disable) right after a disable that was not
   * awaited resolves once those pairs are durable too, not while that queue still writes.
   * Before 2026-12-01 it returned at once: close() then shut LMDB under the draining queue,
   * whose every call failed (PROVQ_STORE_CLOSED) and whose pairs all went to spill files.
   */
  private async detachAndStop(opts: StopOptions = {}): Promise<void> {
    const earlier = [...this.stopping];
    const queue = this.queue;
    if (queue) {
      this.queue = null;
      this.options = undefined;
      const stop = queue.stop(opts);
      this.stopping.add(stop);
      const forget = () => this.stopping.delete(stop);
      stop.then(forget, forget);
      if (earlier.length === 0) return stop;
      await this.earlierStops(earlier, opts);
      return stop;
    }
    if (earlier.length > 0) await this.earlierStops(earlier, opts);
  }

  /** Earlier stops, each bounded by its own deadline, waited for until this call's deadline at most. */
  private async earlierStops(stops: Promise<void>[], opts: StopOptions): Promise<void> {
    const deadline = deadlineOf(opts);
    try {
      await settlesBefore(Promise.allSettled(stops), deadline);
    } finally {
      deadline.cancel();
    }
  }
}

function sameOptions(a: StoreQueueOptions, b: StoreQueueOptions): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof StoreQueueOptions)[]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

function describe(o: StoreQueueOptions): string {
  const shown = Object.entries(o).map(([k, v]) => `${k}: ${typeof v === 'object' ? '[object]' : JSON.stringify(v)}`);
  return shown.length > 0 ? `{ ${shown.join(', ')} }` : 'the defaults';
}
