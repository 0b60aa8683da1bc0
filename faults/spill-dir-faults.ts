// Issue 9, items 1, 2, 8 and 9, from outside: a second store pointed at another's spill dir,
// a sink whose promise never settles at close(), spills bigger than one file's caps (and a
// name already taken), and hostile files dropped in the spill dir. Real LMDB, real files;
// faults only at the sink interface (the store's async append, wrapped).
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatEntryId, idNowMs, reserveEntryIds } from '../src/entry-id.js';
import { silentLogger } from '../src/log.js';
import { listSpillDir } from '../src/spill/spill-dir.js';
import { newSpillFileName } from '../src/spill/spill-file-name.js';
import { MAX_SPILL_FILE_BYTES, MAX_SPILL_FILE_PAIRS, SpillWriter } from '../src/spill/spill-writer.js';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import type { QueueOptions } from '../src/schemas.js';
import { audit, exactResult, freshStore, RECORDS, scratchDir, type ScenarioResult } from './scenario.js';
import { makePairs, type WorkloadConfig } from './workload.js';

type SinkMode = 'up' | 'down' | 'hangs';

/** Opens a store whose async sink is up, down (throws) or hangs (never settles), as `mode.now` says; its sync write throws unless up. */
async function openWithSink(path: string, mode: { now: SinkMode }) {
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  const real = store.appendProvenanceBatch.bind(store);
  store.appendProvenanceBatch = async (pairs, context) => {
    if (mode.now === 'down') throw new Error('injected: sink down');
    if (mode.now === 'hangs') return new Promise<never>(() => {});
    return real(pairs, context);
  };
  // The sync write (the save's first choice at a deadline) is the same sink: down while it is not up.
  const realSync = store.appendProvenanceBatchSync.bind(store);
  store.appendProvenanceBatchSync = (...args) => {
    if (mode.now !== 'up') throw new Error('injected: sink down');
    return realSync(...args);
  };
  return store;
}

async function poll(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

type Queue = ReturnType<LmdbMemoryStore['enableProvenanceQueue']>;

/** Until flush() says durable and no spill file waits; false when that did not happen in time. */
function drained(queue: Queue, ms = 60_000): Promise<boolean> {
  return poll(async () => (await queue.flush(500)) && (await listSpillDir(queue.spillDir)).pending.length === 0, ms);
}

/** Starts a store with its sink up, reads back whatever waits in its spill dir, closes it. */
async function restartAndDrain(path: string, queue: QueueOptions = {}): Promise<boolean> {
  const store = await openWithSink(path, { now: 'up' });
  try {
    return await drained(store.enableProvenanceQueue({ logger: silentLogger, idlePollMs: 50, claimStaleMs: 2000, ...queue }));
  } finally {
    await store.close();
  }
}

function cfg(storePath: string, cuePrefix = 'c', padBytes?: number): WorkloadConfig {
  return { storePath, ending: 'settle', pairs: 0, records: RECORDS, cuePrefix, ...(padBytes ? { padBytes } : {}) };
}

function failed(result: ScenarioResult, problem: string | null, note: string): ScenarioResult {
  return problem ? { ...result, pass: false, note: `UNEXPECTED ${problem}` } : { ...result, note };
}

/**
 * Item 1. Checked against its revert (the owner check in assertDirOwner skipped): B's queue
 * starts, reads A's spill files into B's store, and A loses every spilled pair.
 */
export async function twoStoresOneSpillDirScenario(pairs: number): Promise<ScenarioResult> {
  const pathA = await freshStore('owner-a');
  const pathB = await freshStore('owner-b');
  const spillDir = join(scratchDir('owner-spill'), 'spill');
  const opts: QueueOptions = { spillDir, coalesceMs: 1, maxBatchPairs: 100, maxAttempts: 1, retryBaseMs: 5, retryMaxMs: 50, idlePollMs: 50, claimStaleMs: 2000 };
  const sinkA = { now: 'down' as SinkMode };
  const a = await openWithSink(pathA, sinkA);
  const qa = a.enableProvenanceQueue({ logger: silentLogger, ...opts });
  for (let i = 0; i < pairs; i += 100) qa.enqueue(makePairs(cfg(pathA), i, Math.min(100, pairs - i)));
  let problem: string | null = (await poll(() => qa.stats().spilledPairs >= pairs, 30_000)) ? null : `A spilled ${qa.stats().spilledPairs} of ${pairs}`;
  const b = await openWithSink(pathB, { now: 'up' });
  let refusal = 'not refused';
  try {
    const qb = b.enableProvenanceQueue({ logger: silentLogger, ...opts });
    await drained(qb, 5000); // what B would do with A's files, given the chance
    problem ??= 'store B was given A\'s spill dir';
  } catch (err) {
    refusal = `${(err as { code?: string }).code}: ${(err as Error).message}`;
    if ((err as { code?: string }).code !== 'PROVQ_SPILL_DIR_OWNED') problem ??= `B refused with ${refusal}`;
  } finally {
    await b.close();
  }
  const stolen = await audit(pathB, 'c', pairs);
  if (stolen.durable > 0) problem ??= `${stolen.durable} of A's pairs applied to B`;
  sinkA.now = 'up';
  if (!(await drained(qa))) problem ??= 'A did not drain once its sink was back';
  await a.close();
  const result = exactResult('two stores, one spill dir: the second refused', 1, pairs, await audit(pathA, 'c', pairs));
  return failed(result, problem, `A spilled ${pairs}; B refused (${refusal.slice(0, 60)}…)`);
}

/** Bound on close({ timeoutMs: 1000 }) with a hung sink: generous, it proves bounded, not fast. */
const CLOSE_BOUND_MS = 15_000;

/**
 * Item 2. Checked against its revert (the stop deadline in stopOnce ignored: it waits for
 * the worker): close() never returns and the row reports hung.
 */
export async function hungSinkCloseScenario(pairs: number): Promise<ScenarioResult> {
  const path = await freshStore('hung-sink');
  const store = await openWithSink(path, { now: 'hangs' });
  const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 1, maxBatchPairs: 50 });
  for (let i = 0; i < pairs; i += 50) queue.enqueue(makePairs(cfg(path), i, Math.min(50, pairs - i)));
  const t0 = performance.now();
  let bound: NodeJS.Timeout | undefined;
  const closed = await Promise.race([store.close({ timeoutMs: 1000 }).then(() => true), new Promise<false>((r) => (bound = setTimeout(() => r(false), CLOSE_BOUND_MS)))]);
  clearTimeout(bound);
  const tookMs = Math.round(performance.now() - t0);
  let problem: string | null = closed ? null : `hung: close() had not returned after ${CLOSE_BOUND_MS} ms`;
  if (!(await restartAndDrain(path))) problem ??= 'the next start did not read back what close() saved';
  const result = exactResult('sink never settles: close({ timeoutMs: 1000 }), then a restart', 2, pairs, await audit(path, 'c', pairs));
  return failed(result, problem, `close() returned in ${tookMs} ms; the rest landed on the next start`);
}

/**
 * Item 8. Checked against its reverts: with the pair cap lifted (MAX_SPILL_FILE_PAIRS ignored in
 * the writer's split) the save is one file over the cap; with publishNoReplace doing a plain
 * rename, the planted file is replaced and its pair lost.
 */
export async function bigSpillScenario(pairs: number, padBytes: number): Promise<ScenarioResult> {
  const path = await freshStore('big-spill');
  const store = await openWithSink(path, { now: 'hangs' });
  const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 1, maxBatchPairs: 256, maxQueueSize: 1_000_000 });
  for (let i = 0; i < pairs; i += 500) queue.enqueue(makePairs(cfg(path, 'c', padBytes), i, Math.min(500, pairs - i)));
  // Everything in memory, the sink hung: the stop deadline saves all of it at once.
  await store.close({ timeoutMs: 500 });
  const files = (await listSpillDir(queue.spillDir)).pending;
  const sizes = files.map((name) => readFileSync(join(queue.spillDir, name)));
  const overCap = sizes.filter((b) => b.length > MAX_SPILL_FILE_BYTES || b.toString('utf8').split('\n').filter(Boolean).length > MAX_SPILL_FILE_PAIRS).length;
  let problem: string | null = overCap > 0 ? `${overCap} spill files over the caps` : files.length < 2 ? `${files.length} spill file(s): the caps were not reached` : null;

  // Files already holding the next names: one per millisecond of the names' clock (the id
  // clock, monotonic: not Date.now()) from now until a second past the end of the planting,
  // so the write below meets a planted name however long the planting took (a loaded machine
  // once took more than a fixed half second, and the check proved nothing).
  const probe = /^(\d{13})-(\d{6})-(\d+)\.jsonl$/.exec(newSpillFileName())!;
  const nextSeq = String((Number(probe[2]) + 1) % 1_000_000).padStart(6, '0');
  const planted = new Map<string, string>();
  const now = idNowMs();
  for (let k = 0; now + k <= idNowMs() + 1000; k++) {
    const name = `${now + k}-${nextSeq}-${process.pid}.jsonl`;
    const text = `${JSON.stringify({ recordId: 'r0', entry: { ts: new Date().toISOString(), cue: `k${k}`, sessionId: 'planted' } })}\n`;
    writeFileSync(join(queue.spillDir, name), text, { mode: 0o600 });
    planted.set(name, text);
  }
  const ids = reserveEntryIds(1);
  const [pair] = makePairs(cfg(path), pairs, 1);
  const [written] = await new SpillWriter(queue.spillDir).append([[pair![0], { ...pair![1], entryId: formatEntryId(ids.ms, ids.seq0) }]]);
  const replaced = [...planted].filter(([name, text]) => readFileSync(join(queue.spillDir, name), 'utf8') !== text).length;
  if (replaced > 0) problem ??= `${replaced} planted files replaced`;
  if (!written?.name.endsWith('-c1.jsonl')) problem ??= `the written file ${written?.name} met no planted name: the check proved nothing`;

  if (!(await restartAndDrain(path, { maxQueueSize: 1_000_000 }))) problem ??= 'the split files were not all read back';
  const plantedLanded = await audit(path, 'k', planted.size);
  if (plantedLanded.lost > 0 || plantedLanded.duplicated > 0) problem ??= `planted pairs: ${plantedLanded.lost} lost, ${plantedLanded.duplicated} doubled`;
  const result = exactResult(`sink hung, ${Math.round((pairs * padBytes) / 2 ** 20)} MiB saved at once; a spill name taken`, 2, pairs + 1, await audit(path, 'c', pairs + 1));
  return failed(result, problem, `${files.length} spill files, each within ${MAX_SPILL_FILE_PAIRS} pairs / ${MAX_SPILL_FILE_BYTES / 2 ** 20} MiB; the written file took ${written?.name}, ${planted.size} planted files intact`);
}

/**
 * Item 9. Checked against its revert (untrustedBecause in spill-reader returning undefined):
 * the hostile pairs are applied to r0's history and the row fails.
 */
export async function hostileSpillFileScenario(pairs: number): Promise<ScenarioResult> {
  const path = await freshStore('hostile');
  const spillDir = join(path, 'provenance-overflow');
  const sink = { now: 'down' as SinkMode };
  const store = await openWithSink(path, sink);
  const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 1, maxBatchPairs: 100, maxAttempts: 1, retryBaseMs: 5, retryMaxMs: 50, idlePollMs: 50 });
  for (let i = 0; i < pairs; i += 100) queue.enqueue(makePairs(cfg(path), i, Math.min(100, pairs - i)));
  let problem: string | null = (await poll(() => queue.stats().spilledPairs > 0, 30_000)) ? null : 'nothing spilled';
  const line = (cue: string) => `${JSON.stringify({ recordId: 'r0', entry: { ts: new Date().toISOString(), cue, sessionId: 'forged' } })}\n`;
  const nobodys = join(spillDir, '0000000000001-000001-1.jsonl');
  writeFileSync(nobodys, line('h0'), { mode: 0o600 });
  chownSync(nobodys, 65534, 65534);
  writeFileSync(join(spillDir, '0000000000001-000002-1.jsonl'), line('h1'), { mode: 0o600 });
  chmodSync(join(spillDir, '0000000000001-000002-1.jsonl'), 0o666);
  sink.now = 'up';
  if (!(await drained(queue))) problem ??= 'the real pairs did not drain';
  const quarantined = (await listSpillDir(spillDir)).quarantined.length;
  await store.close();
  const forged = await audit(path, 'h', 2);
  if (forged.durable > 0) problem ??= `${forged.durable} forged pairs applied`;
  if (quarantined < 2) problem ??= `${quarantined} of 2 hostile files quarantined`;
  const result = exactResult('hostile files in the spill dir (uid 65534, mode 0666)', 1, pairs, await audit(path, 'c', pairs));
  return failed(result, problem, `${quarantined} hostile files quarantined, 0 forged pairs applied`);
}
