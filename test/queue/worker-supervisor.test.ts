// The worker's watchdog, at its own interface: a worker whose run() rejects is reported
// (WorkerFailedError, code PROVQ_WORKER_FAILED, what it threw as the cause; an error log
// line with the code) and run again after a backoff that doubles up to retryMaxMs, so one
// that fails every time never spins the CPU; stop() cuts the wait short; a halt ends it.
//
// The worker here is a stand-in: no input through the sink (or the queue's public API) is
// known to make the real worker fail any more — each path found was fixed where it began
// (test/queue/hostile-sink.test.ts, sink-declaration.test.ts) — so a failure can only be
// scripted. What the queue does with the pairs a failed step held is worker.ts's part.
import { describe, expect, it } from 'vitest';
import { WorkerFailedError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { WorkerFailedEvent } from '../../src/queue/events.js';
import { WorkerSupervisor } from '../../src/queue/worker-supervisor.js';
import { until } from '../helpers/until.js';

function recordingLogger(): { logger: Logger; errors: { fields: Record<string, unknown>; msg: string }[] } {
  const errors: { fields: Record<string, unknown>; msg: string }[] = [];
  const none = () => {};
  return { logger: { debug: none, info: none, warn: none, error: (fields, msg) => void errors.push({ fields: fields as Record<string, unknown>, msg }) }, errors };
}

/** A worker whose runs do what `script` says for run n (0-based): throw, or end. */
function scriptedWorker(script: (n: number) => 'throw' | 'end'): { run(): Promise<void>; runs: number } {
  const w = {
    runs: 0,
    async run(): Promise<void> {
      const n = w.runs++;
      await Promise.resolve();
      if (script(n) === 'throw') throw new Error(`run ${n} broke`);
    },
  };
  return w;
}

function supervise(worker: { run(): Promise<void> }, opts: { retryBaseMs: number; retryMaxMs: number }, state = { halted: false }) {
  const events: WorkerFailedEvent[] = [];
  const { logger, errors } = recordingLogger();
  const sup = new WorkerSupervisor(worker, opts, logger, { halted: () => state.halted, pendingPairs: () => 7, workerFailed: (e) => void events.push(e) });
  return { sup, events, errors, state };
}

describe('the worker supervisor', () => {
  // Checked: with run() as before (one worker.run(), its rejection only logged), the worker
  // runs once, no event is emitted and the supervisor's promise ends after the first failure.
  it('a worker that fails is reported with PROVQ_WORKER_FAILED and its cause, and runs again until it ends', async () => {
    const worker = scriptedWorker((n) => (n < 2 ? 'throw' : 'end'));
    const { sup, events, errors } = supervise(worker, { retryBaseMs: 5, retryMaxMs: 20 });
    await sup.run();
    expect(worker.runs).toBe(3);
    expect(events.map((e) => e.failures)).toEqual([1, 2]);
    for (const e of events) {
      expect(e.error).toBeInstanceOf(WorkerFailedError);
      expect(e.error.code).toBe('PROVQ_WORKER_FAILED');
      expect(e.restartInMs).toBeGreaterThan(0);
      expect(e.restartInMs).toBeLessThanOrEqual(20);
    }
    expect((events[0]!.error.cause as Error).message).toBe('run 0 broke');
    expect(events[1]!.error.message).toMatch(/run 1 broke.*restarts in \d+ ms/);
    expect(errors).toHaveLength(2);
    expect(errors[0]!.fields).toMatchObject({ code: 'PROVQ_WORKER_FAILED', failures: 1, pendingPairs: 7, err: { message: 'run 0 broke' } });
  });

  // A window: it proves the restarts are spaced, not that they stay so for ever. Checked:
  // with the backoff removed (restart on the next turn, setImmediate), the worker runs
  // thousands of times in the window and this fails; with the delay not growing (retryBaseMs each time), about
  // 65 times, and this fails too.
  it('a worker that fails at once every time is restarted with a growing, bounded backoff: it does not spin', async () => {
    const worker = scriptedWorker(() => 'throw');
    const { sup, events, state } = supervise(worker, { retryBaseMs: 20, retryMaxMs: 160 });
    const done = sup.run();
    await new Promise((r) => setTimeout(r, 1000));
    const runs = worker.runs;
    state.halted = true;
    sup.restartNow();
    await done; // ends once halted, without another run
    // Delays of 10-20, 20-40, 40-80, then 80-160 ms: 16 runs in a second at most, fewer on a
    // loaded machine. Spinning would be thousands.
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBeLessThanOrEqual(20);
    expect(Math.max(...events.map((e) => e.restartInMs))).toBeLessThanOrEqual(160);
    expect(worker.runs).toBe(runs);
  });

  // Checked: with restartNow() a no-op, the second run waits out the 5-10 minute backoff,
  // the 30 s condition fails (and the file's timeout ends the wait).
  it('restartNow() (stop) cuts a long backoff short, so stop drains at once', async () => {
    const worker = scriptedWorker((n) => (n === 0 ? 'throw' : 'end'));
    const { sup, events } = supervise(worker, { retryBaseMs: 600_000, retryMaxMs: 600_000 });
    const done = sup.run();
    expect(await until(() => events.length === 1, 30_000)).toBe(true);
    expect(events[0]!.restartInMs).toBeGreaterThanOrEqual(300_000);
    sup.restartNow();
    expect(await until(() => worker.runs === 2, 30_000)).toBe(true);
    await done;
  });

  // Checked: with the halted() checks removed, the worker is run again after the exit
  // drain took its pairs, and runs is 2.
  it('a failure after the queue halted (exit drain, stop deadline) is not restarted: the drain has every pair', async () => {
    const state = { halted: false };
    const worker = {
      runs: 0,
      async run() {
        this.runs++;
        state.halted = true;
        throw new Error('failed as the exit drain took over');
      },
    };
    const { sup, events } = supervise(worker, { retryBaseMs: 5, retryMaxMs: 10 }, state);
    await sup.run();
    expect(worker.runs).toBe(1);
    expect(events).toHaveLength(0);
  });
});
