// The store side of the queue, shared by every store: switching it on (idempotent, and
// never silently ignoring different options), off (drain, bounded), and closing once.
import { InvalidOptionsError, QueueEnabledError } from '../errors.js';
import { parseStopOptions } from '../queue/deadline.js';
import { ProvenanceWriteQueue, type DirectQueueOptions } from '../queue/provenance-write-queue.js';
import type { QueueOptions, StopOptions } from '../schemas.js';
import type { ProvenanceSink } from '../sink.js';
import { describeValue } from '../validate.js';

/** Queue options for a store's queue: the store fills in spillDir, journalDir and the logger. */
export type StoreQueueOptions = Partial<QueueOptions>;

export class QueueToggle {
  private queue: ProvenanceWriteQueue | null = null;
  private options: StoreQueueOptions | undefined;

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

  private async detachAndStop(opts?: StopOptions): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    this.queue = null;
    this.options = undefined;
    await queue.stop(opts);
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
