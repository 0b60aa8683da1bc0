// The coalescing queue: `enqueue` only validates, stamps an id block and pushes; one
// worker gathers pairs into sink calls (one in flight), spills what does not fit or cannot
// be written, reads spill files back when idle, and the exit hook writes what is left.
import { reserveEntryIds } from '../entry-id.js';
import { InvalidOptionsError, QueueNotRunningError } from '../errors.js';
import { registerExitDrain, unregisterExitDrain, type ExitDrainable } from '../exit/exit-hook.js';
import { errorFields, jsonLogger, type Logger } from '../log.js';
import { queueOptionsSchema, type ProvenancePair, type QueueOptions, type ResolvedQueueOptions } from '../schemas.js';
import { FRESH_VALIDATED, type ProvenanceSink } from '../sink.js';
import { claimSpillFile } from '../spill/spill-claims.js';
import { checkSpillDir, checkSpillDirSync, listSpillDir } from '../spill/spill-dir.js';
import { replayClaimedFile } from '../spill/replay.js';
import { recoverAbandonedTmpFiles } from '../spill/stale-tmp.js';
import { serializeSpillLines, SpillWriter, type IdentifiedPair } from '../spill/spill-writer.js';
import { parseOptions, parsePairs } from '../validate.js';
import { backoffDelay } from './backoff.js';
import { SinkDelivery } from './sink-delivery.js';
import {
  BatchQueue,
  identifiedBatch,
  identifyAll,
  identifyInto,
  oldestSeqOf,
  pendingBatch,
  remainingPairs,
  type PendingBatch,
} from './pending-batches.js';

export interface QueueStats {
  enqueuedPairs: number;
  writtenPairs: number;
  pendingPairs: number;
  spilledPairs: number;
  spilledFiles: number;
  respooledPairs: number;
  quarantinedFiles: number;
  writeErrors: number;
  /** Failed attempts to write a spill file (disk full, no permission, ...). */
  spillErrors: number;
}

/** Overflow pairs waiting for the disk beyond this are spilled inside `enqueue` (backpressure). */
export const OVERFLOW_SYNC_SPILL_PAIRS = 4096;
/** At most this many pairs in one overflow spill file. */
const SPILL_FILE_PAIRS = 16_384;

type State = 'new' | 'running' | 'stopping' | 'stopped';

interface FlushWaiter {
  target: number;
  resolve(durable: boolean): void;
  timer: NodeJS.Timeout;
}

export class ProvenanceWriteQueue implements ExitDrainable {
  readonly spillDir: string;
  private readonly opts: ResolvedQueueOptions;
  private readonly log: Logger;
  private readonly spill: SpillWriter;
  private readonly delivery: SinkDelivery;
  private state: State = 'new';
  /** Set by the exit drain: from then on every enqueue is written synchronously. */
  private halted = false;

  private readonly memory = new BatchQueue();
  private memoryPairs = 0;
  private inFlight: IdentifiedPair[] | null = null;
  private inFlightMinSeq = Infinity;
  private readonly overflow: PendingBatch[] = [];
  private overflowPairs = 0;
  private spilling: PendingBatch[] | null = null;
  private spillingPairs = 0;
  private overflowScheduled = false;
  /** Files this queue wrote that are not yet applied, with the lowest sequence each holds. */
  private readonly ownFiles = new Map<string, number>();

  private seqEnd = 0;
  private urgentUntilSeq = 0;
  private coalescing = false;
  private waker: (() => void) | null = null;
  private wakeScheduled = false;
  private worker: Promise<void> | null = null;
  private readonly flushWaiters = new Set<FlushWaiter>();

  private spillBlockedUntil = 0;
  private spillFailures = 0;
  private lastRespoolDeferred = false;
  private spillDirProblemLogged = false;
  private readonly skippedNames = new Set<string>();

  private readonly counters = {
    enqueuedPairs: 0,
    writtenPairs: 0,
    spilledPairs: 0,
    spilledFiles: 0,
    respooledPairs: 0,
    quarantinedFiles: 0,
    writeErrors: 0,
    spillErrors: 0,
  };

  constructor(
    private readonly sink: ProvenanceSink,
    opts: QueueOptions,
  ) {
    if (!sink || typeof sink.appendProvenanceBatch !== 'function') {
      throw new InvalidOptionsError('ProvenanceWriteQueue: sink must have an appendProvenanceBatch(pairs) method');
    }
    this.opts = parseOptions(queueOptionsSchema, opts, 'queue options');
    if (!this.opts.spillDir) {
      throw new InvalidOptionsError(
        'invalid queue options: spillDir is required for a queue built directly (store queues default it to <store path>/provenance-overflow)',
      );
    }
    this.spillDir = this.opts.spillDir;
    this.log = this.opts.logger ?? jsonLogger();
    this.spill = new SpillWriter(this.spillDir);
    this.delivery = new SinkDelivery(sink, this.opts, this.log, this.counters, () => this.halted);
  }

  /** True between start() and the end of stop(): enqueue accepts pairs. */
  get running(): boolean {
    return this.state === 'running' || this.state === 'stopping';
  }

  start(): void {
    if (this.state === 'running' || this.state === 'stopping') return;
    checkSpillDirSync(this.spillDir); // refuse a symlinked or foreign spill dir up front
    this.state = 'running';
    this.halted = false;
    registerExitDrain(this);
    this.worker = this.run().catch((err: unknown) => {
      // The worker never throws by design; if it does, the exit drain still holds the pairs.
      this.log.error(errorFields(err), 'provenance worker stopped unexpectedly; pairs stay in memory for the exit drain');
    });
  }

  enqueue(pairs: ProvenancePair[]): void {
    this.assertAccepting();
    this.accept(parsePairs(pairs));
  }

  /**
   * `enqueue` for pairs valid by construction that their maker hands over for good (the
   * store's recall builds them from a validated query and existing records): no check, no copy.
   * @internal
   */
  enqueueOwned(pairs: ProvenancePair[]): void {
    this.assertAccepting();
    this.accept(pairs);
  }

  private assertAccepting(): void {
    if (this.state === 'new' || this.state === 'stopped') {
      throw new QueueNotRunningError(
        `enqueue: the provenance queue is ${this.state === 'new' ? 'not started; call start() first' : 'stopped; call start() again or write through the sink'}`,
      );
    }
  }

  private accept(valid: ProvenancePair[]): void {
    const n = valid.length;
    if (n === 0) return;
    const ids = reserveEntryIds(n);
    this.seqEnd = ids.seq0 + n;
    this.counters.enqueuedPairs += n;
    const batch = pendingBatch(valid, ids.ms, ids.seq0);
    if (this.halted) return this.writeAtExit([batch], 'enqueue after exit drain');
    if (this.memory.length < this.opts.maxQueueSize) {
      this.memory.push(batch);
      this.memoryPairs += n;
      if (this.waker && (!this.coalescing || this.memoryPairs >= this.opts.maxBatchPairs)) this.wakeSoon();
      return;
    }
    // Backpressure: the overflow goes to disk here once it would pass the threshold, so a
    // spill file holds at most that many pairs (one sink call when read back, at 4096 per call).
    if (this.overflowPairs > 0 && this.overflowPairs + n > OVERFLOW_SYNC_SPILL_PAIRS && this.canSpill()) this.spillOverflowSync();
    this.overflow.push(batch);
    this.overflowPairs += n;
    if (this.overflowPairs >= OVERFLOW_SYNC_SPILL_PAIRS && this.canSpill()) this.spillOverflowSync();
    else this.scheduleOverflowSpill();
  }

  flush(timeoutMs = 2000): Promise<boolean> {
    const target = this.seqEnd;
    if (this.oldestPendingSeq() >= target) return Promise.resolve(true);
    if (target > this.urgentUntilSeq) this.urgentUntilSeq = target;
    this.waker?.();
    return new Promise((resolve) => {
      const waiter: FlushWaiter = {
        target,
        resolve,
        timer: setTimeout(() => {
          this.flushWaiters.delete(waiter);
          resolve(false);
        }, timeoutMs), // ref'd on purpose: a caller awaiting flush() keeps the process up until it settles
      };
      this.flushWaiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    if (this.state === 'running') {
      this.state = 'stopping';
      this.waker?.();
    }
    // A caller awaiting stop() keeps the process up until the drain is done.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      await this.worker;
    } finally {
      clearInterval(keepAlive);
    }
  }

  stats(): QueueStats {
    return {
      ...this.counters,
      pendingPairs: this.memoryPairs + (this.inFlight?.length ?? 0) + this.overflowPairs + this.spillingPairs,
    };
  }

  /**
   * The exit drain: everything still in memory, written now, through the sync sink or a spill file.
   * @internal Called by the exit hook.
   */
  drainSync(reason: string): void {
    if (this.halted) return;
    this.halted = true;
    const batches: PendingBatch[] = [];
    if (this.inFlight) batches.push(identifiedBatch(this.inFlight, this.inFlightMinSeq));
    batches.push(...this.memory.takeAll(), ...(this.spilling ?? []), ...this.overflow.splice(0));
    this.inFlight = null;
    this.spilling = null;
    this.memoryPairs = this.overflowPairs = this.spillingPairs = 0;
    this.writeAtExit(batches, reason);
    this.waker?.();
  }

  // ---- the worker -------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.halted) {
      this.refillFromOverflow();
      if (this.memoryPairs > 0) {
        if (this.delivery.breakerOpen) await this.spillMemoryWhileSinkDown();
        else {
          await this.coalesce();
          await this.writeNextBatch();
        }
        continue;
      }
      if (await this.respoolNext()) continue;
      if (this.memoryPairs > 0) continue; // enqueued while the spill dir was being read
      if (this.state === 'stopping' && this.drained()) break;
      await this.waitForWork(this.opts.idlePollMs);
    }
    if (this.state === 'stopping') {
      // Synchronously with the last check above, so no enqueue slips in between.
      this.state = 'stopped';
      unregisterExitDrain(this);
      this.settleFlushWaiters();
    }
  }

  private drained(): boolean {
    if (this.memoryPairs > 0 || this.overflow.length > 0 || this.spilling) return false;
    return this.ownFiles.size === 0 || this.lastRespoolDeferred || this.delivery.breakerOpen;
  }

  private urgent(): boolean {
    return this.state === 'stopping' || this.oldestPendingSeq() < this.urgentUntilSeq;
  }

  private async coalesce(): Promise<void> {
    if (this.memoryPairs >= this.opts.maxBatchPairs || this.opts.coalesceMs === 0 || this.urgent()) return;
    this.coalescing = true;
    await this.waitForWork(this.opts.coalesceMs);
    this.coalescing = false;
  }

  private takeBatch(): { pairs: IdentifiedPair[]; minSeq: number } {
    const pairs: IdentifiedPair[] = [];
    let minSeq = Infinity;
    for (let b = this.memory.first(); b && pairs.length < this.opts.maxBatchPairs; b = this.memory.first()) {
      const n = Math.min(this.opts.maxBatchPairs - pairs.length, remainingPairs(b));
      minSeq = Math.min(minSeq, oldestSeqOf(b));
      identifyInto(b, b.offset, b.offset + n, pairs);
      b.offset += n;
      this.memoryPairs -= n;
      if (remainingPairs(b) === 0) this.memory.shift();
    }
    return { pairs, minSeq };
  }

  private async writeNextBatch(): Promise<void> {
    const { pairs, minSeq } = this.takeBatch();
    if (pairs.length === 0) return;
    this.inFlight = pairs;
    this.inFlightMinSeq = minSeq;
    const ok = await this.delivery.deliver(pairs, false);
    if (this.halted) return; // the exit drain took the in-flight pairs
    if (!ok) await this.spillOrKeep(pairs, minSeq);
    this.inFlight = null;
    this.inFlightMinSeq = Infinity;
    this.settleFlushWaiters();
  }

  /** While the sink is down, memory goes straight to disk so it stays small and stop() is quick. */
  private async spillMemoryWhileSinkDown(): Promise<void> {
    const now = Date.now();
    if (now < this.spillBlockedUntil) {
      await this.waitForWork(Math.min(this.spillBlockedUntil, this.delivery.breakerUntil) - now);
      return;
    }
    const minSeq = oldestSeqOf(this.memory.first()!);
    const pairs = identifyAll(this.memory.takeAll());
    this.memoryPairs = 0;
    this.inFlight = pairs;
    this.inFlightMinSeq = minSeq;
    await this.spillOrKeep(pairs, minSeq);
    if (this.halted) return;
    this.inFlight = null;
    this.inFlightMinSeq = Infinity;
    this.settleFlushWaiters();
  }

  /** Writes pairs that could not reach the sink to a spill file; if the disk fails too, keeps them. */
  private async spillOrKeep(pairs: IdentifiedPair[], minSeq: number): Promise<void> {
    const name = await this.writeSpillFile(pairs, minSeq);
    if (name || this.halted) return;
    this.memory.unshift(identifiedBatch(pairs, minSeq)); // oldest first, tried again after backoff
    this.memoryPairs += pairs.length;
  }

  private async writeSpillFile(pairs: IdentifiedPair[], minSeq: number): Promise<string | undefined> {
    try {
      const name = await this.spill.append(pairs);
      this.noteSpilled(name, pairs.length, minSeq);
      return name;
    } catch (err) {
      this.noteSpillFailure(err, pairs.length);
      return undefined;
    }
  }

  private noteSpilled(name: string, count: number, minSeq: number): void {
    this.counters.spilledPairs += count;
    this.counters.spilledFiles++;
    this.ownFiles.set(name, minSeq);
    if (this.spillFailures > 0) {
      this.log.info({ spillDir: this.spillDir, afterFailures: this.spillFailures }, 'spilling works again');
      this.spillFailures = 0;
    }
  }

  private noteSpillFailure(err: unknown, count: number): void {
    this.counters.spillErrors++;
    if (this.spillFailures === 0) {
      this.log.error({
        spillDir: this.spillDir,
        pairs: count,
        ...errorFields(err),
      }, 'cannot write to the spill directory; pairs stay queued in memory and spilling is retried');
    }
    this.spillFailures++;
    this.spillBlockedUntil = Date.now() + backoffDelay(this.spillFailures, this.opts.retryBaseMs, this.opts.retryMaxMs);
  }

  // ---- the spill side door ----------------------------------------------------------

  private async spillOverflow(): Promise<void> {
    this.overflowScheduled = false;
    if (this.spilling || this.overflow.length === 0 || this.halted) return;
    const wait = this.spillBlockedUntil - Date.now();
    if (wait > 0) {
      this.overflowScheduled = true;
      setTimeout(() => void this.spillOverflow(), wait).unref();
      return;
    }
    const batches = this.takeOverflow();
    const minSeq = oldestSeqOf(batches[0]!);
    const name = await this.writeSpillFile(identifyAll(batches), minSeq);
    if (!this.halted && !name) {
      this.overflow.unshift(...batches);
      this.overflowPairs += this.spillingPairs;
    }
    this.spilling = null;
    this.spillingPairs = 0;
    this.settleFlushWaiters();
    this.waker?.();
    if (this.overflow.length > 0) this.scheduleOverflowSpill();
  }

  /**
   * Overflow is gathered for `coalesceMs`, as sink batches are: under a long overload a spill
   * file then holds thousands of pairs, so spilling and reading back pay their fsyncs and
   * claims per thousands, not per handful. Memory stays bounded by the sync spill in enqueue.
   */
  private scheduleOverflowSpill(): void {
    if (this.overflowScheduled) return;
    this.overflowScheduled = true;
    setTimeout(() => void this.spillOverflow(), this.opts.coalesceMs).unref();
  }

  /**
   * Moves overflow batches not yet on their way to disk back into memory as it frees up: the
   * sink takes them directly, and when the disk fails they are not held for it. They are
   * newer than every batch in memory, so the queue stays in order.
   */
  private refillFromOverflow(): void {
    const room = this.opts.maxQueueSize - this.memory.length;
    if (room <= 0 || this.overflow.length === 0) return;
    for (const b of this.overflow.splice(0, room)) {
      const n = remainingPairs(b);
      this.overflowPairs -= n;
      this.memory.push(b);
      this.memoryPairs += n;
    }
  }

  private takeOverflow(): PendingBatch[] {
    let count = 0;
    let k = 0;
    while (k < this.overflow.length && count < SPILL_FILE_PAIRS) count += remainingPairs(this.overflow[k++]!);
    const batches = this.overflow.splice(0, k);
    this.overflowPairs -= count;
    this.spilling = batches;
    this.spillingPairs = count;
    return batches;
  }

  /** False while spilling backs off after a failed spill write. */
  private canSpill(): boolean {
    return Date.now() >= this.spillBlockedUntil;
  }

  /** Backpressure when the disk is slower than the overload: spill inside enqueue. */
  private spillOverflowSync(): void {
    const batches = this.overflow.splice(0);
    const count = this.overflowPairs;
    this.overflowPairs = 0;
    try {
      const name = this.spill.appendSync(identifyAll(batches));
      this.noteSpilled(name, count, oldestSeqOf(batches[0]!));
    } catch (err) {
      this.noteSpillFailure(err, count);
      this.overflow.unshift(...batches);
      this.overflowPairs += count;
    }
  }

  private async respoolNext(): Promise<boolean> {
    this.lastRespoolDeferred = false;
    if (this.delivery.breakerOpen) return false;
    let pending: string[];
    try {
      if (!(await checkSpillDir(this.spillDir))) return false;
      await recoverAbandonedTmpFiles(this.spillDir, this.log);
      const listing = await listSpillDir(this.spillDir);
      pending = listing.pending;
      this.spillDirProblemLogged = false;
      for (const name of listing.skipped) {
        if (this.skippedNames.has(name)) continue;
        this.skippedNames.add(name);
        this.log.warn({ file: name }, 'spill entry skipped: not a regular file (symlinks are never followed)');
      }
    } catch (err) {
      if (!this.spillDirProblemLogged) this.log.error(errorFields(err), 'cannot read the spill directory');
      this.spillDirProblemLogged = true;
      return false;
    }
    // A file of ours another process applied and deleted is durable: forget it.
    const present = new Set(pending);
    for (const name of this.ownFiles.keys()) if (!present.has(name)) this.ownFiles.delete(name);
    this.settleFlushWaiters();
    for (const name of pending) {
      if (this.skippedNames.has(name)) continue;
      if (this.state === 'stopping' && !this.ownFiles.has(name)) continue;
      const claim = await claimSpillFile(this.spillDir, name, { staleMs: this.opts.claimStaleMs, logger: this.log }).catch(
        (err: unknown) => {
          this.log.warn({ file: name, ...errorFields(err) }, 'cannot claim spill file');
          return null;
        },
      );
      if (!claim) continue;
      try {
        const outcome = await replayClaimedFile(claim, {
          dir: this.spillDir,
          chunkPairs: this.opts.maxBatchPairs,
          logger: this.log,
          deliver: (p) => this.delivery.deliver(p, true),
        });
        if (outcome.kind === 'deferred') {
          this.lastRespoolDeferred = true;
          return false;
        }
        if (outcome.kind === 'quarantined' || (outcome.kind === 'applied' && outcome.setAside)) this.counters.quarantinedFiles++;
        if (outcome.kind === 'skipped') this.skippedNames.add(name);
        this.ownFiles.delete(name);
        this.settleFlushWaiters();
        return true;
      } catch (err) {
        this.log.error({ file: name, ...errorFields(err) }, 'spill file replay failed; it stays for a later attempt');
        this.skippedNames.add(name);
        return false;
      } finally {
        await claim.release().catch(() => {});
      }
    }
    return false;
  }

  // ---- exit -------------------------------------------------------------------------

  private writeAtExit(batches: PendingBatch[], reason: string): void {
    const pairs = identifyAll(batches);
    if (pairs.length === 0) return;
    if (this.sink.appendProvenanceBatchSync) {
      try {
        this.sink.appendProvenanceBatchSync(pairs, FRESH_VALIDATED);
        this.counters.writtenPairs += pairs.length;
        return;
      } catch (err) {
        this.log.error({ reason, pairs: pairs.length, ...errorFields(err) }, 'sync sink write failed at exit; spilling instead');
      }
    }
    try {
      const name = this.spill.appendSync(pairs);
      this.counters.spilledPairs += pairs.length;
      this.counters.spilledFiles++;
      this.log.info({ reason, pairs: pairs.length, file: name }, 'pending pairs spilled at exit');
    } catch (err) {
      // Last resort: the spill lines on stderr, so an operator can still save them by hand.
      this.log.error({
        reason,
        pairs: pairs.length,
        ...errorFields(err),
      }, 'could not save pairs at exit; their spill lines follow on stderr');
      process.stderr.write(serializeSpillLines(pairs));
    }
  }

  // ---- bookkeeping ------------------------------------------------------------------

  private oldestPendingSeq(): number {
    let min = Infinity;
    const first = this.memory.first();
    if (first) min = oldestSeqOf(first);
    if (this.inFlight) min = Math.min(min, this.inFlightMinSeq);
    if (this.spilling && this.spilling.length > 0) min = Math.min(min, oldestSeqOf(this.spilling[0]!));
    if (this.overflow.length > 0) min = Math.min(min, oldestSeqOf(this.overflow[0]!));
    for (const seq of this.ownFiles.values()) if (seq < min) min = seq;
    return min;
  }

  private settleFlushWaiters(): void {
    if (this.flushWaiters.size === 0) return;
    const oldest = this.oldestPendingSeq();
    for (const w of this.flushWaiters) {
      if (oldest < w.target) continue;
      clearTimeout(w.timer);
      this.flushWaiters.delete(w);
      w.resolve(true);
    }
  }

  /**
   * Wakes the worker on the next turn of the loop, not in the caller's microtasks: a write
   * started from `enqueue` must not run before the caller's own `await` resumes.
   */
  private wakeSoon(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.waker?.();
    });
  }

  private waitForWork(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waker = null;
        resolve();
      }, ms).unref();
      this.waker = () => {
        clearTimeout(timer);
        this.waker = null;
        resolve();
      };
    });
  }
}
