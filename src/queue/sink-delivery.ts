// Delivery to the sink: each call under a time limit, retried with backoff and jitter a
// bounded number of times; then a breaker opens, and the queue sends pairs to the spill
// directory until it has backed off. One error line per episode, one line when it ends.
import { SinkTimeoutError } from '../errors.js';
import { errorFields, type Logger } from '../log.js';
import type { ResolvedQueueOptions } from '../schemas.js';
import { FRESH_VALIDATED, REPLAYED_VALIDATED, type ProvenanceSink } from '../sink.js';
import type { IdentifiedPair } from '../spill/spill-writer.js';
import { backoffDelay, sleep } from './backoff.js';

/** The queue's counters this class adds to. */
export interface DeliveryCounters {
  writtenPairs: number;
  respooledPairs: number;
  writeErrors: number;
}

type DeliveryOptions = Pick<ResolvedQueueOptions, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs' | 'sinkTimeoutMs'>;

export class SinkDelivery {
  /** Until then the sink is not tried: memory goes to spill files, read-back waits. */
  breakerUntil = 0;
  private trips = 0;
  private failing = false;

  constructor(
    private readonly sink: ProvenanceSink,
    private readonly opts: DeliveryOptions,
    private readonly log: Logger,
    private readonly counters: DeliveryCounters,
    /** True once the exit drain has taken over: stop retrying at once. */
    private readonly halted: () => boolean,
  ) {}

  get breakerOpen(): boolean {
    return Date.now() < this.breakerUntil;
  }

  /** True when the pairs are durable; false when they should go to the spill directory. */
  async deliver(pairs: IdentifiedPair[], respooled: boolean): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call(pairs, respooled);
        this.counters.writtenPairs += pairs.length;
        if (respooled) this.counters.respooledPairs += pairs.length;
        if (this.failing) this.log.info({ afterErrors: this.counters.writeErrors }, 'sink writes succeed again');
        this.failing = false;
        this.trips = 0;
        return true;
      } catch (err) {
        this.counters.writeErrors++;
        if (!this.failing) {
          this.failing = true;
          this.log.error({ pairs: pairs.length, ...errorFields(err) }, 'sink write failed; retrying with backoff');
        }
        if (attempt >= this.opts.maxAttempts || this.halted()) {
          this.trips++;
          this.breakerUntil = Date.now() + backoffDelay(this.trips, this.opts.retryBaseMs * 4, this.opts.retryMaxMs);
          this.log.warn({
            pairs: pairs.length,
            attempts: attempt,
            ...errorFields(err),
          }, 'sink still failing; pairs go to the spill directory until it recovers');
          return false;
        }
        await sleep(backoffDelay(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs));
        if (this.halted()) return false;
      }
    }
  }

  /** One sink call; one that has not settled after sinkTimeoutMs counts as failed. */
  private call(pairs: IdentifiedPair[], respooled: boolean): Promise<void> {
    const call = new Promise<void>((resolve, reject) => {
      try {
        Promise.resolve(this.sink.appendProvenanceBatch(pairs, respooled ? REPLAYED_VALIDATED : FRESH_VALIDATED)).then(() => resolve(), reject);
      } catch (err) {
        reject(err);
      }
    });
    const limit = this.opts.sinkTimeoutMs;
    if (!limit) return call;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SinkTimeoutError(`sink call did not settle within sinkTimeoutMs=${limit}`)),
        limit,
      ).unref();
      call.then(
        () => (clearTimeout(timer), resolve()),
        (err: unknown) => (clearTimeout(timer), reject(err)),
      );
    });
  }
}
