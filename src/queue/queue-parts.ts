// The queue's working parts, wired to each other and to the state they share: sink calls
// (SinkDelivery), overflow (SpillScheduler), read-back (ReadBack) and the worker that drives
// them. The queue itself keeps admission and the lifecycle.
import type { HaltSave } from '../exit/halt-save.js';
import type { Logger } from '../log.js';
import type { ResolvedQueueOptions } from '../schemas.js';
import type { ProvenanceSink } from '../sink.js';
import type { SpillWriter } from '../spill/spill-writer.js';
import type { Backlog } from './backlog.js';
import { JOURNAL_OVERFLOW_SYNC_SPILL_PAIRS, OVERFLOW_SYNC_SPILL_PAIRS, SpillScheduler } from './overflow.js';
import type { QueueProgress } from './queue-progress.js';
import type { newQueueCounters } from './queue-stats.js';
import { ReadBack } from './read-back.js';
import { SinkDelivery } from './sink-delivery.js';
import { Worker } from './worker.js';
import { WorkerSupervisor } from './worker-supervisor.js';

/**
 * Fresh sink calls in flight at most, whatever the sink declares: their pairs may be only in
 * memory (with durability 'memory') and wait there until the sink answers (guarantees.md
 * bounds what a kill loses by it; a throttled sink holding many is row 5's memory). Read-back
 * keeps all the sink declares: its pairs are durable in their files already, and LMDB
 * writes fewer bytes a pair in larger commits (row 5's drain: the LMDB store declares 256).
 */
export const FRESH_CALLS_MAX = 64;

export interface QueueParts {
  delivery: SinkDelivery;
  spill: SpillScheduler;
  readBack: ReadBack;
  worker: Worker;
  supervisor: WorkerSupervisor;
}

/** What the parts share with the queue. */
export interface QueueShared {
  sink: ProvenanceSink;
  sinkId: string;
  /** The sink's declared maxConcurrentWrites, checked (sink-declaration.ts). */
  maxConcurrentWrites: number;
  opts: ResolvedQueueOptions;
  spillDir: string;
  journalDir: string | null;
  log: Logger;
  counters: ReturnType<typeof newQueueCounters>;
  backlog: Backlog;
  spillWriter: SpillWriter;
  progress: QueueProgress;
  halt: HaltSave;
  stopping(): boolean;
  /** Nothing left that stop() waits for. */
  drained(): boolean;
}

export function wireQueueParts(q: QueueShared): QueueParts {
  const maxInFlight = q.maxConcurrentWrites;
  const freshInFlight = Math.min(maxInFlight, FRESH_CALLS_MAX);
  const halted = () => q.halt.halted;
  const delivery = new SinkDelivery(q.sink, q.opts, q.log, q.counters, {
    halted,
    onWriteError: (error, pairs, attempt) => q.progress.emit('writeError', { error, pairs, attempt }),
  });
  const syncSpillPairs = q.journalDir ? JOURNAL_OVERFLOW_SYNC_SPILL_PAIRS : OVERFLOW_SYNC_SPILL_PAIRS;
  const spill = new SpillScheduler(q.backlog, q.spillWriter, { ...q.opts, syncSpillPairs }, q.log, {
    halted,
    assertSpillDirOwned: () => q.progress.assertSpillDirOwned(),
    spilled: (files, minSeq) => q.progress.spilled(files, minSeq),
    changed: () => {
      q.progress.changed();
      worker.wake(); // overflow may have moved back to memory
    },
    failed: (err): number => supervisor.partFailed('overflow spill', err),
  });
  const readBack = new ReadBack(
    {
      spillDir: q.spillDir,
      journalDir: q.journalDir,
      chunkPairs: q.opts.maxBatchPairs,
      claimStaleMs: q.opts.claimStaleMs,
      retryBaseMs: q.opts.retryBaseMs,
      retryMaxMs: q.opts.retryMaxMs,
      parallelFiles: maxInFlight,
      yieldAfterCalls: freshInFlight,
    },
    q.log,
    {
      sinkId: q.sinkId,
      deliver: async (pairs, once) => {
        // Halted (a stop deadline, exit): a round in progress calls the sink no more; its
        // files stay where they are for the next start, as the rest of the directory does.
        if (halted()) return { ok: false, halted: true };
        const d = await delivery.deliver(pairs, true, false, once ? 1 : undefined);
        if (d.ok) return { ok: true, unknownRecords: d.result.unknownRecords };
        return halted() ? { ok: false, halted: true } : { ok: false };
      },
      sinkDown: () => delivery.breakerOpen,
      sinkTook: () => delivery.tookCalls,
      stopping: q.stopping,
      ownFiles: q.backlog.ownFiles,
      fileDone: (name, outcome) => q.progress.readBack(name, outcome),
      otherWorkWaiting: () => q.halt.halted || q.backlog.memoryPairs > 0 || q.backlog.overflowPairs > 0,
    },
  );
  const worker = new Worker(q.backlog, delivery, spill, readBack, q.opts, freshInFlight, {
    halted,
    stopping: q.stopping,
    drained: q.drained,
    changed: () => q.progress.changed(),
  });
  const supervisor = new WorkerSupervisor(worker, q.opts, q.log, {
    halted,
    pendingPairs: () => q.backlog.pendingPairs,
    workerFailed: (event) => {
      q.counters.workerRestarts++;
      q.progress.emit('workerError', event);
    },
  });
  return { delivery, spill, readBack, worker, supervisor };
}
