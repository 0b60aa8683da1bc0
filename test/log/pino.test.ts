// A real pino logger, passed as is: the queue's log lines keep their fields (the error and
// the pair count), because the library calls loggers in pino's shape, (fields, message).
// Checked: with sink-delivery's log call swapped to the old (message, fields) order, pino
// wrote the fields object as the message and no `pairs` or `err` key: this test failed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A queue whose sink fails its first call, logging to `logger`: the failure, then the recovery. */
function queueFailingOnce(logger: Logger): { q: ProvenanceWriteQueue; sink: RecordingSink } {
  const sink = new RecordingSink();
  sink.failNext = 1;
  const q = new ProvenanceWriteQueue(sink, { spillDir: join(tempDir(), 'spill'), logger, coalesceMs: 0, retryBaseMs: 1, durability: 'memory', exitHook: false });
  q.start();
  cleanups.push(() => q.stop());
  return { q, sink };
}

interface PinoLine {
  level: number;
  msg: string;
  pairs?: number;
  err?: { type?: string; message?: string };
}

describe('a pino logger', () => {
  it('gets the error and the pair count of a failed sink write, and the recovery', async () => {
    const dir = tempDir();
    const file = join(dir, 'log.jsonl');
    const destination = pino.destination({ dest: file, sync: true });
    const { q, sink } = queueFailingOnce(pino({ level: 'debug' }, destination));
    q.enqueue([pair('r1', 'a'), pair('r1', 'b'), pair('r1', 'c')]);
    expect(await q.flush(10_000)).toBe(true);
    expect(sink.cues()).toEqual(['a', 'b', 'c']);
    destination.flushSync();

    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PinoLine);
    const failed = lines.find((l) => l.msg === 'sink write failed; retrying with backoff');
    expect(failed).toMatchObject({ level: 50, pairs: 3, err: { type: 'Error', message: 'injected sink failure' } });
    expect(lines.find((l) => l.msg === 'sink writes succeed again')).toMatchObject({ level: 30 });
  });
});

describe('the default JSON logger', () => {
  // Checked: without the Error replacer in jsonLogger, `err` was written as {} (an Error's
  // own fields are not enumerable) and this failed.
  it('writes pino-shaped lines that keep the fields and the error', async () => {
    const { jsonLogger } = await import('../../src/log.js');
    const lines: string[] = [];
    const { q } = queueFailingOnce(jsonLogger((l) => lines.push(l)));
    q.enqueue([pair('r1', 'a'), pair('r1', 'b')]);
    expect(await q.flush(10_000)).toBe(true);
    const failed = lines.map((l) => JSON.parse(l) as PinoLine).find((l) => l.msg === 'sink write failed; retrying with backoff');
    expect(failed).toMatchObject({ level: 50, pairs: 2, err: { type: 'Error', message: 'injected sink failure' } });
  });
});
