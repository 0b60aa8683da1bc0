// The worker's watchdog. The worker is built not to fail: sink errors are retried and
// spilled, disk errors backed off. Should it fail anyway (a bug, an invariant broken by
// something no check foresaw), it used to end for good: pairs were still accepted and
// journaled but never delivered until the process restarted, and flush() only timed out.
// Now the failure is reported — a WorkerFailedError (code PROVQ_WORKER_FAILED, the thrown
// value as its cause) logged at error level and emitted as 'workerError' — and the worker
// runs again after a backoff that doubles up to retryMaxMs, so a worker that fails at once
// every time costs a few runs a second at first and one per retryMaxMs after, never a
// spinning CPU. Pairs a failed step held are back in memory before it rejects (worker.ts).
// The overflow spill runs on its own timer, beside the worker loop: its unexpected failures
// are reported here the same way (`part: 'overflow spill'`), with a backoff of their own.
import { WorkerFailedError } from '../errors.js';
import { describeThrown, errorFields, type Logger } from '../log.js';
import type { ResolvedQueueOptions } from '../schemas.js';
import { backoffDelay } from './backoff.js';
import type { QueuePart, WorkerFailedEvent } from './events.js';
import { timerMs } from '../timer-ms.js';

/** A failure this long after the one before starts the backoff again from its base. */
export const WORKER_HEALTHY_AFTER_MS = 60_000;

export interface SupervisorHost {
  /** The exit drain or a stop deadline took every pair: nothing to restart for. */
  halted(): boolean;
  pendingPairs(): number;
  workerFailed(event: WorkerFailedEvent): void;
}

/** Failures of one part since it last ran WORKER_HEALTHY_AFTER_MS without one. */
interface FailureStreak {
  inRow: number;
  lastAt: number;
}

const WHAT_RUNS_AGAIN: Record<QueuePart, string> = {
  worker: 'provenance worker failed; restarting it after a backoff (pairs stay queued, nothing is dropped)',
  'overflow spill': 'provenance overflow spill failed; spilling again after a backoff (pairs stay queued, nothing is dropped)',
};

export class WorkerSupervisor {
  private readonly streaks: Record<QueuePart, FailureStreak> = {
    worker: { inRow: 0, lastAt: -Infinity },
    'overflow spill': { inRow: 0, lastAt: -Infinity },
  };
  private cutBackoff: (() => void) | null = null;

  constructor(
    private readonly worker: { run(): Promise<void> },
    private readonly opts: Pick<ResolvedQueueOptions, 'retryBaseMs' | 'retryMaxMs'>,
    private readonly log: Logger,
    private readonly host: SupervisorHost,
  ) {}

  /** Runs the worker until it ends (stopped drained, or halted), restarting it after failures. Never rejects. */
  async run(): Promise<void> {
    for (;;) {
      try {
        await this.worker.run();
        return;
      } catch (err) {
        if (this.host.halted()) return;
        const restartInMs = this.failed('worker', err);
        await this.backoff(restartInMs);
        if (this.host.halted()) return;
      }
    }
  }

  /** stop(): a worker waiting to restart starts now, to drain (a failure after that backs off again). */
  restartNow(): void {
    this.cutBackoff?.();
  }

  /**
   * A part that runs beside the worker loop (the overflow spill's timer) failed unexpectedly:
   * reported as a worker failure is. Returns the backoff (ms) before that part runs again.
   */
  partFailed(part: Exclude<QueuePart, 'worker'>, err: unknown): number {
    return this.failed(part, err);
  }

  private failed(part: QueuePart, err: unknown): number {
    const streak = this.streaks[part];
    const now = performance.now();
    if (now - streak.lastAt > WORKER_HEALTHY_AFTER_MS) streak.inRow = 0;
    streak.lastAt = now;
    const failures = ++streak.inRow;
    const restartInMs = backoffDelay(failures, this.opts.retryBaseMs, this.opts.retryMaxMs);
    const error = new WorkerFailedError(
      `the provenance queue's ${part} failed (${describeThrown(err)}); ` +
        `it ${part === 'worker' ? 'restarts' : 'runs again'} in ${restartInMs} ms and pairs stay queued — report this with the cause's stack`,
      { cause: err },
    );
    this.log.error(
      { code: error.code, part, failures, restartInMs, pendingPairs: this.host.pendingPairs(), ...errorFields(err) },
      WHAT_RUNS_AGAIN[part],
    );
    this.host.workerFailed({ error, part, failures, restartInMs });
    return restartInMs;
  }

  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.cutBackoff = null;
        resolve();
      };
      const timer = setTimeout(done, timerMs(ms)).unref();
      this.cutBackoff = done;
    });
  }
}
