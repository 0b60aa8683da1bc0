// The worker: gathers pairs into sink calls (coalescing), keeps up to
// `sink.maxConcurrentWrites` calls in flight (fewer while the sink's latency says the extra
// calls would only wait in it: CallLimit), sends memory to disk while the sink is down,
// and reads spill and journal files back when memory runs empty.
import type { ResolvedQueueOptions } from '../schemas.js';
import type { Backlog, TakenPairs } from './backlog.js';
import { CallLimit } from './call-limit.js';
import type { SpillScheduler } from './overflow.js';
import { identifyInto, oldestSeqOf, remainingPairs } from './pending-batches.js';
import type { ReadBack } from './read-back.js';
import { LoopSlices } from '../loop-slices.js';
import type { SinkDelivery } from './sink-delivery.js';
import { timerMs } from '../timer-ms.js';

export interface WorkerHost {
  halted(): boolean;
  stopping(): boolean;
  /** Nothing left that stop() waits for. */
  drained(): boolean;
  changed(): void;
}

type WorkerOptions = Pick<ResolvedQueueOptions, 'coalesceMs' | 'maxBatchPairs' | 'maxQueueSize' | 'idlePollMs'>;

export class Worker {
  private waker: (() => void) | null = null;
  /** What failed in a sink call under way (or a spill step), for run() to throw. */
  private failure: { error: unknown } | null = null;
  private wakeScheduled = false;
  private coalescing = false;
  /** Sink calls under way (spill writes do not take a slot). */
  private calls = 0;
  /** How many calls may be in flight: up to maxInFlight, fewer while calls only queue in the sink. */
  private readonly limit: CallLimit;
  /** Pairs enqueued before this sequence are wanted now (flush, stop): no coalescing wait. */
  urgentUntilSeq = 0;
  /**
   * Starting a call serialises its pairs (about 1 ms for 256): calls are started a slice of
   * the loop at a time, so a backlog that frees many slots at once never makes one long turn.
   */
  private readonly slices = new LoopSlices();

  constructor(
    private readonly backlog: Backlog,
    private readonly delivery: SinkDelivery,
    private readonly spill: SpillScheduler,
    private readonly readBack: ReadBack,
    private readonly opts: WorkerOptions,
    maxInFlight: number,
    private readonly host: WorkerHost,
  ) {
    this.limit = new CallLimit(maxInFlight);
  }

  /** Called from enqueue: wakes an idle worker, or a coalescing one once a batch is full. */
  noteEnqueued(): void {
    if (this.waker && (!this.coalescing || this.backlog.memoryPairs >= this.opts.maxBatchPairs)) this.wakeSoon();
  }

  /** Wakes the worker now (flush, stop, a finished call). */
  wake(): void {
    this.waker?.();
  }

  /**
   * Runs until the queue halts, or stops drained. Rejects when something in it fails that
   * should not (a bug, a broken invariant): also a failure inside a sink call under way,
   * whose pairs are back in memory by then. The supervisor (worker-supervisor.ts) reports
   * it and runs the worker again.
   */
  async run(): Promise<void> {
    const b = this.backlog;
    this.waker = null;
    this.coalescing = false;
    while (!this.host.halted()) {
      this.throwFailure();
      if (b.memoryPairs > 0 && this.delivery.breakerOpen) {
        await this.spillMemoryWhileSinkDown();
        continue;
      }
      if (this.forSink() > 0 && this.calls < this.limit.current) {
        await this.coalesce();
        if (this.host.halted()) break;
        if (this.slices.due()) {
          await this.slices.yieldNow();
          continue;
        }
        if (this.forSink() > 0 && this.calls < this.limit.current) void this.write(this.takeBatch());
        continue;
      }
      if (b.busyCount > 0) {
        await this.waitForWork(this.opts.idlePollMs); // a finished call wakes us
        continue;
      }
      if (await this.readBack.next()) continue;
      if (this.forSink() > 0) continue; // enqueued while the spill dir was being read
      if (this.host.stopping() && this.host.drained()) break;
      this.host.changed(); // idle: lets the journal drop a segment that has gone quiet
      // Overflow waiting for a sink that is down: the sink is tried again once the breaker closes.
      const breaker = b.overflowPairs > 0 && this.delivery.breakerOpen ? this.delivery.breakerWaitMs + 1 : Infinity;
      await this.waitForWork(Math.min(this.opts.idlePollMs, this.readBack.nextRetryInMs() + 1, breaker));
    }
  }

  /**
   * Pairs a sink call could take now: memory, then overflow (newer than all of memory, kept
   * as spill lines and decoded as a call takes them), unless the sink is down: overflow then
   * waits for its spill.
   */
  private forSink(): number {
    const b = this.backlog;
    return b.memoryPairs + (this.delivery.breakerOpen ? 0 : b.overflowPairs);
  }

  private urgent(): boolean {
    return this.host.stopping() || this.backlog.oldestPendingSeq() < this.urgentUntilSeq;
  }

  private async coalesce(): Promise<void> {
    const b = this.backlog;
    if (this.forSink() >= this.opts.maxBatchPairs || this.opts.coalesceMs === 0 || this.urgent()) return;
    this.coalescing = true;
    await this.waitForWork(this.opts.coalesceMs);
    this.coalescing = false;
  }

  private takeBatch(): TakenPairs {
    const b = this.backlog;
    const pairs: TakenPairs['pairs'] = [];
    let minSeq = Infinity;
    let inputIds = false;
    for (let first = b.memory.first(); first && pairs.length < this.opts.maxBatchPairs; first = b.memory.first()) {
      const n = Math.min(this.opts.maxBatchPairs - pairs.length, remainingPairs(first));
      minSeq = Math.min(minSeq, oldestSeqOf(first));
      if (first.inputIds) inputIds = true;
      identifyInto(first, first.offset, first.offset + n, pairs);
      first.offset += n;
      b.memoryPairs -= n;
      if (remainingPairs(first) === 0) b.memory.shift();
    }
    if (pairs.length < this.opts.maxBatchPairs && b.overflowPairs > 0 && !this.delivery.breakerOpen) {
      const more = b.overflow.takePairs(this.opts.maxBatchPairs - pairs.length, pairs);
      minSeq = Math.min(minSeq, more.minSeq);
      if (more.inputIds) inputIds = true;
    }
    const t = { pairs, minSeq, inputIds };
    b.begin(t);
    return t;
  }

  /**
   * One sink call; on failure the pairs go to a spill file, or back to memory if the disk
   * fails too. Never rejects (it runs on its own, not awaited): a failure in it puts pairs
   * whose fate is unknown back in memory — written again, entry ids make that a no-op if
   * they were written — and makes run() reject at its next step.
   */
  private async write(t: TakenPairs): Promise<void> {
    this.calls++;
    let inCall = true; // the slot is the sink call's: a spill after it does not hold one
    try {
      const startedAt = performance.now();
      const delivered = await this.delivery.deliver(t.pairs, false, t.inputIds ?? false);
      inCall = false;
      this.calls--;
      if (delivered.ok) this.limit.succeeded(startedAt);
      if (this.host.halted()) return; // whoever halted took these pairs
      if (!delivered.ok && !(await this.spill.spill(t))) {
        if (this.host.halted()) return;
        this.backlog.putBack(t);
      }
      this.backlog.done(t);
      this.host.changed();
    } catch (err) {
      this.recover(t, err);
    } finally {
      if (inCall) this.calls--;
      this.wake();
    }
  }

  /** Pairs a failed step held go back to memory, unless they were settled or halting took them. */
  private recover(t: TakenPairs, err: unknown): void {
    this.failure ??= { error: err };
    if (this.host.halted() || !this.backlog.isBusy(t)) return;
    this.backlog.putBack(t);
    this.backlog.done(t);
  }

  /** A failure of a sink call under way (or of the step that held pairs) ends run() here. */
  private throwFailure(): void {
    const f = this.failure;
    if (!f) return;
    this.failure = null;
    throw f.error;
  }

  /** While the sink is down, memory goes straight to disk so it stays small and stop() is quick. */
  private async spillMemoryWhileSinkDown(): Promise<void> {
    const b = this.backlog;
    if (!this.spill.canSpill) {
      await this.waitForWork(Math.min(this.spill.blockedForMs, this.delivery.breakerWaitMs) + 1);
      return;
    }
    const minSeq = oldestSeqOf(b.memory.first()!);
    const pairs: TakenPairs['pairs'] = [];
    for (const batch of b.memory.takeAll()) identifyInto(batch, batch.offset, batch.pairs.length, pairs);
    b.memoryPairs = 0;
    const t = { pairs, minSeq };
    b.begin(t);
    try {
      const ok = await this.spill.spill(t);
      if (this.host.halted()) return;
      if (!ok) b.putBack(t);
      b.done(t);
      this.host.changed();
    } catch (err) {
      this.recover(t, err);
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
        this.slices.restart();
        resolve();
      }, timerMs(ms)).unref();
      this.waker = () => {
        clearTimeout(timer);
        this.waker = null;
        this.slices.restart();
        resolve();
      };
    });
  }
}
