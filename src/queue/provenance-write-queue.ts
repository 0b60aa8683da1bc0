// The coalescing queue's public face: admission (`enqueue` validates, stamps an id block,
// journals and pushes), the lifecycle (start, flush, stop once, bounded), events and stats.
// The work itself is done by the parts it wires together: Worker (coalescing and sink
// calls), SinkDelivery (retries), SpillScheduler (overflow), ReadBack, JournalWriter,
// QueueProgress (counters, events, frontiers) and HaltSave (the exit drain, stop deadlines).
import { EventEmitter } from 'node:events';
import { reserveEntryIds, type IdBlock } from '../entry-id.js';
import { QueueNotRunningError } from '../errors.js';
import type { SaveFirst } from '../exit/exit-save.js';
import { registerExitDrain, unregisterExitDrain } from '../exit/exit-hook.js';
import { HaltSave } from '../exit/halt-save.js';
import { JournalWriter } from '../journal/journal-writer.js';
import { jsonLogger, neverThrowing, type Logger } from '../log.js';
import type { FlushOptions, ProvenancePair, ResolvedQueueOptions, StopOptions } from '../schemas.js';
import type { ProvenanceSink } from '../sink.js';
import { assertDirOwner } from '../spill/dir-owner.js';
import { checkSpillDirSync } from '../spill/spill-dir.js';
import { SpillWriter } from '../spill/spill-writer.js';
import { parsePairs } from '../validate.js';
import { Backlog } from './backlog.js';
import { deadlineOf, parseStopOptions } from './deadline.js';
import type { QueueEvents } from './events.js';
import { FlushWaiters, parseFlushArgument } from './flush-waiters.js';
import type { SpillScheduler } from './overflow.js';
import { pendingBatch } from './pending-batches.js';
import { resolveQueueOptions, type DirectQueueOptions } from './queue-options.js';
import { readSinkDeclaration } from './sink-declaration.js';
import { wireQueueParts } from './queue-parts.js';
import { QueueProgress } from './queue-progress.js';
import type { ReadBack } from './read-back.js';
import type { SinkDelivery } from './sink-delivery.js';
import { newQueueCounters, type QueueStats } from './queue-stats.js';
import type { Worker } from './worker.js';
import type { WorkerSupervisor } from './worker-supervisor.js';

export type { QueueStats } from './queue-stats.js';

export { JOURNAL_OVERFLOW_SYNC_SPILL_PAIRS, OVERFLOW_SYNC_SPILL_PAIRS } from './overflow.js';

type State = 'new' | 'running' | 'stopping' | 'stopped';

export type { DirectQueueOptions } from './queue-options.js';

/**
 * A coalescing write queue in front of a {@link ProvenanceSink}: `enqueue` returns at once,
 * a worker writes batches, overflow and failed writes spill to JSONL files in `spillDir`
 * and are read back, and an exit hook saves what is in memory when the process ends.
 * Nothing enqueued is dropped.
 *
 * It is an EventEmitter of {@link QueueEvents}:
 *
 * ```ts
 * queue.on('spilled', ({ file, pairs }) => log.warn({ file, pairs }, 'provenance spilled'));
 * queue.on('quarantined', ({ file, reason }) => alert(`spill file ${file} quarantined: ${reason}`));
 * queue.on('writeError', ({ error, pairs, attempt }) => metrics.count('provq.write_error'));
 * queue.on('workerError', ({ error }) => alert(`provenance worker failed and restarts: ${error.code}`, error.cause));
 * queue.on('idle', () => console.log('provenance queue idle (set-aside pairs wait for an operator)'));
 * ```
 */
export class ProvenanceWriteQueue extends EventEmitter<QueueEvents> implements AsyncDisposable {
  /** Where overflow and failed writes are spilled. */
  readonly spillDir: string;
  /** Where the journal lives (durability 'journal'), else null. */
  readonly journalDir: string | null;
  private readonly opts: ResolvedQueueOptions;
  private readonly log: Logger;
  private readonly sinkId: string;
  private readonly backlog = new Backlog();
  private readonly spillWriter: SpillWriter;
  private readonly spill: SpillScheduler;
  private readonly delivery: SinkDelivery;
  private readonly readBack: ReadBack;
  private readonly worker: Worker;
  private readonly supervisor: WorkerSupervisor;
  private readonly journal: JournalWriter | null;
  private readonly flushWaiters = new FlushWaiters();
  private readonly progress: QueueProgress;
  private readonly halt: HaltSave;
  private state: State = 'new';
  private running_: Promise<void> | null = null;
  private stopped: Promise<void> | null = null;
  private seqEnd = 0;
  /** acceptOverflow is reading a caller's batch: batches enqueued from its getters, queued after it. */
  private enqueuedInWalk: ProvenancePair[][] | null = null;

  private readonly counters = newQueueCounters();

  /**
   * A queue in front of `sink`; call `start()` before `enqueue`. `spillDir` is required
   * (a store's `enableProvenanceQueue` fills it in). Throws InvalidOptionsError naming a bad option.
   */
  constructor(
    sink: ProvenanceSink,
    opts: DirectQueueOptions,
  ) {
    super();
    const declared = readSinkDeclaration(sink);
    ({ opts: this.opts, spillDir: this.spillDir, journalDir: this.journalDir } = resolveQueueOptions(opts));
    this.log = neverThrowing(this.opts.logger ?? jsonLogger());
    this.sinkId = declared.sinkId;
    this.spillWriter = new SpillWriter(this.spillDir);
    this.journal = this.journalDir
      ? new JournalWriter(this.journalDir, { segmentBytes: this.opts.journalSegmentBytes, fsyncMs: this.opts.fsyncMs, claimStaleMs: this.opts.claimStaleMs },
          this.log, this.counters, this.backlog)
      : null;
    this.halt = new HaltSave(sink, this.spillWriter, this.backlog, this.journal, this.log, this.counters);
    const frontiers = { backlog: this.backlog, journal: this.journal, flushWaiters: this.flushWaiters, sinkFrontier: () => this.sinkFrontier() };
    this.progress = new QueueProgress(this, this.log, this.counters, frontiers, this.spillDir, this.sinkId);
    ({ delivery: this.delivery, spill: this.spill, readBack: this.readBack, worker: this.worker, supervisor: this.supervisor } = wireQueueParts({
      sink,
      sinkId: this.sinkId,
      maxConcurrentWrites: declared.maxConcurrentWrites,
      opts: this.opts,
      spillDir: this.spillDir,
      journalDir: this.journalDir,
      log: this.log,
      counters: this.counters,
      backlog: this.backlog,
      spillWriter: this.spillWriter,
      progress: this.progress,
      halt: this.halt,
      stopping: () => this.state === 'stopping',
      drained: () => this.drained(),
    }));
  }

  /** True between start() and the end of stop(): enqueue accepts pairs. */
  get running(): boolean {
    return this.state === 'running' || this.state === 'stopping';
  }

  /**
   * Starts the worker and (unless `exitHook: false`) the exit hook. Idempotent. Throws
   * SpillDirError / SpillDirOwnedError for a spill or journal dir that is unsafe or another sink's.
   */
  start(): void {
    if (this.running) return;
    if (this.state === 'stopped') throw new QueueNotRunningError('start: this queue was stopped; make a new one (or call enableProvenanceQueue again)');
    for (const [dir, what] of [[this.spillDir, 'spill directory'], [this.journalDir, 'journal directory']] as const) {
      if (dir && checkSpillDirSync(dir)) assertDirOwner(dir, this.sinkId, what);
    }
    this.state = 'running';
    if (this.opts.exitHook) registerExitDrain(this);
    // The supervisor restarts a worker that fails (worker-supervisor.ts) and never rejects.
    this.running_ = this.supervisor.run();
  }

  /**
   * Accepts pairs: validates them (an invalid pair throws InvalidPairError naming the field,
   * and nothing of the call is queued), gives each a stable entryId, and returns at once.
   * Never waits for the sink, never drops: past maxQueueSize, batches spill to disk. With
   * durability 'journal', the pairs are in the journal before this turn of the event loop ends.
   */
  enqueue(pairs: ProvenancePair[]): void {
    this.assertAccepting();
    // From a getter of a batch overflow is reading: its run is in use; queued after it.
    if (this.enqueuedInWalk) this.enqueuedInWalk.push(parsePairs(pairs));
    else if (!this.takesMemory() && !this.halt.halted) this.acceptOverflow(pairs, true);
    else this.accept(parsePairs(pairs));
  }

  /**
   * `enqueue` for pairs valid by construction that their maker hands over for good (the
   * store's recall builds them from a validated query and existing records): no check, no copy.
   * @internal
   */
  enqueueOwned(pairs: ProvenancePair[]): void {
    this.assertAccepting();
    if (this.enqueuedInWalk) this.enqueuedInWalk.push(pairs);
    else if (this.takesMemory() || this.halt.halted) this.accept(pairs);
    else this.acceptOverflow(pairs, false);
  }

  /**
   * Resolves true once everything enqueued before the call is durable in the sink; false
   * when `timeoutMs` (default 2000) passes or `signal` aborts first. Never rejects on time.
   */
  flush(opts?: number | FlushOptions): Promise<boolean> {
    const { timeoutMs, signal } = parseFlushArgument(opts);
    const target = this.seqEnd;
    if (this.sinkFrontier() >= target) return Promise.resolve(true);
    if (!this.running) return Promise.resolve(false);
    if (target > this.worker.urgentUntilSeq) this.worker.urgentUntilSeq = target;
    this.worker.wake();
    return this.flushWaiters.wait(target, timeoutMs, signal);
  }

  /**
   * Drains and stops: resolves once everything is durable in the sink or, at the deadline
   * (`timeoutMs`, default 10 s, or `signal`), saved to the spill dir (or the sync sink).
   * Once it has resolved no sink call starts (one already under way may still settle; a
   * read-back cut short leaves its files for the next start). Removes the exit hook.
   * Idempotent: a second call gets the first call's promise.
   */
  stop(opts?: StopOptions): Promise<void> {
    const parsed = parseStopOptions(opts, 'stop');
    this.stopped ??= this.stopOnce(parsed);
    return this.stopped;
  }

  /** `await using queue = …`: stop() with its default deadline. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Counters since the queue was made: a snapshot, cheap enough to poll. */
  stats(): QueueStats {
    return { ...this.counters, spillErrors: this.spill.spillErrors, pendingPairs: this.backlog.pendingPairs };
  }

  /**
   * The exit drain: everything not yet saved, written now, synchronously.
   * @internal Called by the exit hook.
   */
  drainSync(reason: string): void {
    if (this.halt.halted) return;
    this.haltAndSave(reason);
  }

  // ---- admission ----------------------------------------------------------------------

  private assertAccepting(): void {
    if (this.state === 'new' || this.state === 'stopped') {
      throw new QueueNotRunningError(
        `enqueue: the provenance queue is ${this.state === 'new' ? 'not started; call start() first' : 'stopped; call start() on a new queue or write through the sink'}`,
      );
    }
  }

  /**
   * Memory has room, and no overflow waits (batches stay in enqueue order: memory's first
   * batch is its oldest — the frontier flush and the journal read).
   */
  private takesMemory(): boolean {
    return this.backlog.memory.length < this.opts.maxQueueSize && this.backlog.overflowPairs === 0;
  }

  /**
   * A batch bound for overflow is written there as spill lines straight from the caller's
   * pairs, checked as they are written: no copy of its entries and no id strings, for
   * pairs that only pass through (under a long overload such copies were most of what V8
   * promoted to its old space); the journal copies the same bytes. A batch not in the
   * common shape takes the general path (`parse`: parsePairs copies it or names its fault).
   */
  private acceptOverflow(pairs: ProvenancePair[], parse: boolean): void {
    if (!Array.isArray(pairs) || pairs.length === 0) return this.accept(parse ? parsePairs(pairs) : pairs);
    // A getter of the caller's may enqueue as the batch is read: those batches are checked at
    // once and queued after this one (its lines are being written where theirs would go).
    const later: ProvenancePair[][] = [];
    this.enqueuedInWalk = later;
    try {
      this.overflowInput(pairs, parse);
    } finally {
      this.enqueuedInWalk = null;
      for (const b of later) this.accept(b);
    }
  }

  private overflowInput(pairs: ProvenancePair[], parse: boolean): void {
    const n = pairs.length;
    const ids = reserveEntryIds(n);
    this.spill.makeRoomFor(n);
    const lines = this.backlog.overflow.addInput(pairs, ids.ms, ids.seq0);
    if (!lines) {
      const valid = parse ? parsePairs(pairs) : pairs;
      return this.accept(valid, valid.length === n ? ids : undefined); // a getter may have resized it
    }
    this.seqEnd = ids.seq0 + n;
    this.counters.enqueuedPairs += n;
    this.progress.noteBusy();
    this.journal?.addLines(lines, n, this.seqEnd);
    this.spill.overflowAdded();
  }

  private accept(valid: ProvenancePair[], reserved?: IdBlock): void {
    const n = valid.length;
    if (n === 0) return;
    const ids = reserved ?? reserveEntryIds(n);
    this.seqEnd = ids.seq0 + n;
    this.counters.enqueuedPairs += n;
    this.progress.noteBusy();
    let inputIds = false;
    for (let i = 0; i < n; i++) if (valid[i]![1].entryId !== undefined) inputIds = true;
    const batch = pendingBatch(valid, ids.ms, ids.seq0, inputIds);
    if (this.halt.halted) {
      this.halt.save([batch], 'enqueue after the queue was halted');
      return;
    }
    this.journal?.add(batch, this.seqEnd);
    // Behind overflow while any waits (the sink takes it once memory is empty).
    if (this.takesMemory()) {
      this.backlog.push(batch);
      this.worker.noteEnqueued();
    } else {
      this.spill.addOverflow(batch);
    }
  }

  // ---- lifecycle ----------------------------------------------------------------------

  private async stopOnce(opts: StopOptions): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.supervisor.restartNow();
    this.worker.wake();
    const deadline = deadlineOf(opts);
    let timedOut = false;
    await Promise.race([this.running_, deadline.reached.then(() => (timedOut = true))]);
    deadline.cancel();
    if (timedOut && !this.halt.halted) {
      this.log.warn({ pendingPairs: this.backlog.pendingPairs }, 'stop deadline reached; saving what is not yet durable');
      this.haltAndSave('stop deadline', 'spill');
    } else if (!this.halt.halted && this.backlog.pendingPairs > 0) {
      // Enqueued after the worker found the queue drained and ended (a microtask of a
      // listener, say): no worker will write these, so they are saved now.
      this.haltAndSave('enqueued as stop finished');
    }
    this.state = 'stopped';
    unregisterExitDrain(this);
    if (!this.halt.halted) this.journal?.removeAll();
    this.flushWaiters.settleAll(this.sinkFrontier());
  }

  /** Nothing left that stop() waits for: memory empty, no call under way, own spill files read back (or the sink down). */
  private drained(): boolean {
    const b = this.backlog;
    if (b.memoryPairs > 0 || b.overflowPairs > 0 || b.busyCount > 0) return false;
    return b.ownFiles.size === 0 || this.readBack.deferred || this.delivery.breakerOpen;
  }

  /** Exit or a stop deadline: from now on nothing is asynchronous; what is unsaved is saved now. */
  private haltAndSave(reason: string, first: SaveFirst = 'sink'): void {
    this.halt.halt(reason, first);
    this.worker.wake();
  }

  /** The lowest sequence not yet durable in the sink: flush's frontier. */
  private sinkFrontier(): number {
    return Math.min(this.backlog.oldestPendingSeq(), this.halt.savedOutsideSinkSeq, this.progress.notInSinkSeq);
  }
}
