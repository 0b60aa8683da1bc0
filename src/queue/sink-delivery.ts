// Delivery to the sink: each call under a time limit, retried with backoff and jitter a
// bounded number of times; then a breaker opens, and the queue sends pairs to the spill
// directory until it has backed off. One error line per episode, one line when it ends.
// Durations use the monotonic clock: a wall clock that steps never stretches a backoff.
import { SinkResultError, SinkTimeoutError } from '../errors.js';
import { errorFields, type Logger } from '../log.js';
import type { ResolvedQueueOptions } from '../schemas.js';
import { FRESH_VALIDATED, FRESH_WITH_INPUT_IDS, REPLAYED_VALIDATED, type ProvenanceSink, type SinkWriteContext, type SinkWriteResult } from '../sink.js';
import type { IdentifiedPair } from '../spill/spill-writer.js';
import { backoffDelay, sleep } from './backoff.js';
import { countWritten, type WrittenCounters } from './queue-stats.js';
import { timerMs } from '../timer-ms.js';

/** The queue's counters this class adds to. */
export interface DeliveryCounters extends WrittenCounters {
  writeErrors: number;
}

/** What the queue learns from one delivery. */
export type Delivered = { ok: true; result: SinkWriteResult } | { ok: false };

export interface DeliveryHooks {
  /** True once the exit drain or a stop deadline has taken over: stop retrying at once. */
  halted(): boolean;
  /** Every failed attempt, for the queue's 'writeError' event. */
  onWriteError(error: unknown, pairs: number, attempt: number): void;
}

type DeliveryOptions = Pick<ResolvedQueueOptions, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs' | 'sinkTimeoutMs'>;

export class SinkDelivery {
  /** Until then (performance.now()) the sink is not tried: memory goes to spill files, read-back waits. */
  breakerUntil = 0;
  /** Sink calls that succeeded so far (live and read-back): a sink that takes calls is up. */
  tookCalls = 0;
  private trips = 0;
  private failing = false;

  constructor(
    private readonly sink: ProvenanceSink,
    private readonly opts: DeliveryOptions,
    private readonly log: Logger,
    private readonly counters: DeliveryCounters,
    private readonly hooks: DeliveryHooks,
  ) {}

  get breakerOpen(): boolean {
    return performance.now() < this.breakerUntil;
  }

  /** Milliseconds until the breaker closes (0 when it is closed). */
  get breakerWaitMs(): number {
    return Math.max(0, this.breakerUntil - performance.now());
  }

  /**
   * ok when the pairs are durable; not ok when they should go to the spill directory.
   * `maxAttempts` 1: a probe, answered by a single call (no backoff in it).
   */
  async deliver(pairs: IdentifiedPair[], replayed: boolean, inputIds = false, maxAttempts = this.opts.maxAttempts): Promise<Delivered> {
    const context = replayed ? REPLAYED_VALIDATED : inputIds ? FRESH_WITH_INPUT_IDS : FRESH_VALIDATED;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = readSinkResult(await this.call(pairs, context));
        this.tookCalls++;
        if (this.hooks.halted()) return { ok: true, result }; // counted by whoever took over
        countWritten(this.counters, pairs.length - (result.unknownRecords?.length ?? 0), result.duplicates, replayed);
        if (this.failing) this.log.info({ afterErrors: this.counters.writeErrors }, 'sink writes succeed again');
        this.failing = false;
        this.trips = 0;
        return { ok: true, result };
      } catch (err) {
        if (this.hooks.halted()) return { ok: false };
        this.counters.writeErrors++;
        this.hooks.onWriteError(err, pairs.length, attempt);
        if (!this.failing) {
          this.failing = true;
          this.log.error({ pairs: pairs.length, ...errorFields(err) }, 'sink write failed; retrying with backoff');
        }
        if (attempt >= maxAttempts) {
          this.trips++;
          this.breakerUntil = performance.now() + backoffDelay(this.trips, this.opts.retryBaseMs * 4, this.opts.retryMaxMs);
          this.log.warn(
            { pairs: pairs.length, attempts: attempt, ...errorFields(err) },
            'sink still failing; pairs go to the spill directory until it recovers',
          );
          return { ok: false };
        }
        await sleep(backoffDelay(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs));
        if (this.hooks.halted()) return { ok: false };
      }
    }
  }

  /** One sink call; one that has not settled after sinkTimeoutMs counts as failed. */
  private call(pairs: IdentifiedPair[], context: SinkWriteContext): Promise<SinkWriteResult | void> {
    const call = new Promise<SinkWriteResult | void>((resolve, reject) => {
      try {
        // A copy of the list each time: a sink that empties or reorders the array it is given
        // (splice to take ownership, sort) must not change what is retried or spilled.
        Promise.resolve(this.sink.appendProvenanceBatch(pairs.slice(), context)).then(resolve, reject);
      } catch (err) {
        reject(err);
      }
    });
    const limit = this.opts.sinkTimeoutMs;
    if (!limit) return call;
    return new Promise<SinkWriteResult | void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SinkTimeoutError(`sink call did not settle within sinkTimeoutMs=${limit}; it is retried, and its pairs are spilled if it keeps failing`)),
        timerMs(limit),
      ).unref();
      call.then(
        (r) => (clearTimeout(timer), resolve(r)),
        (err: unknown) => (clearTimeout(timer), reject(err)),
      );
    });
  }
}

/**
 * The sink's answer, read once (a getter is called once) into a plain result the queue
 * keeps. Anything but an object means "written, nothing to report", as `void` does; an
 * `unknownRecords` that is not an array cannot say which pairs were left out, so the call
 * counts as failed (retried, then spilled: never taken as written).
 */
function readSinkResult(raw: unknown): SinkWriteResult {
  if (raw === null || typeof raw !== 'object') return {};
  const { unknownRecords, duplicates } = raw as SinkWriteResult;
  if (unknownRecords !== undefined && !Array.isArray(unknownRecords)) {
    throw new SinkResultError('the sink resolved with unknownRecords that is not an array of pairs; the call is retried, and its pairs are spilled if it keeps failing');
  }
  const result: SinkWriteResult = {};
  if (unknownRecords !== undefined) result.unknownRecords = unknownRecords.slice();
  if (typeof duplicates === 'number') result.duplicates = duplicates;
  return result;
}
