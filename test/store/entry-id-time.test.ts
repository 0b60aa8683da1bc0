// An entry id's first 13 digits are the wall-clock ms of its enqueue (docs/guarantees.md:
// "sorts by time across processes"): read once from Date.now() and then advanced by the
// monotonic clock. In a file of its own, so the id clock is first read here.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

const stores: LmdbMemoryStore[] = [];
const queues: ProvenanceWriteQueue[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of stores.splice(0)) await s.close();
  for (const q of queues.splice(0)) await q.stop();
});
const msOf = (entryId: string | undefined) => Number(entryId!.slice(0, 13));

describe('an entry id', () => {
  // Checked (issue 14, a survivor of the store run): with the id clock's anchor never set
  // (`if (!anchored) { … }` emptied), ids carry the process's uptime in ms (a process started
  // later would sort first) and this fails; restored, it passes.
  it('carries the wall-clock time of its recall, to the second, in its first 13 digits', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    stores.push(store);
    const id = await store.insert({ text: 'my cat likes tuna' });
    const before = Date.now();
    await store.recall({ cue: 'cat', sessionId: 's' });
    const after = Date.now();
    const ms = msOf((await store.get(id))!.provenance[0]!.entryId);
    expect(ms).toBeGreaterThanOrEqual(before - 1000);
    expect(ms).toBeLessThanOrEqual(after + 1000);
  });

  // Checked (issue 14, a survivor of the values run): with the clock's advance subtracted
  // (`anchorWall - (performance.now() - anchorMono)`), the later id keeps the first one's ms
  // (ids never go back) and this fails; restored, it passes.
  it('advances with the monotonic clock: enqueued 10 s of monotonic time later, its time is 10 s later', async () => {
    const sink = new RecordingSink();
    const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), logger: silentLogger, durability: 'memory', coalesceMs: 0 });
    q.start();
    queues.push(q);
    q.enqueue([pair('r1', 'now')]);
    const realNow = performance.now.bind(performance);
    vi.spyOn(performance, 'now').mockImplementation(() => realNow() + 10_000);
    q.enqueue([pair('r1', '10 s later')]);
    vi.restoreAllMocks();
    expect(await q.flush(5000)).toBe(true);
    const [first, later] = sink.pairs.map(([, e]) => msOf(e.entryId));
    expect(later! - first!).toBeGreaterThanOrEqual(10_000);
    expect(later! - first!).toBeLessThan(11_000);
  });
});
