// What every row needs: temp dirs, a store with records, pairs, and a turn of the event loop.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fse from 'fs-extra';
import { silentLogger } from '../src/log.js';
import type { ProvenancePair } from '../src/schemas.js';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';

const made: string[] = [];

export function benchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `provq-bench-${prefix}-`));
  made.push(dir);
  return dir;
}

export async function removeBenchDirs(): Promise<void> {
  for (const d of made.splice(0)) await fse.remove(d);
}

export function recordId(i: number): string {
  return `r${i}`;
}

/** Opens a store and inserts records r0..r(count-1), a thousand per LMDB commit. */
export async function openStoreWithRecords(
  path: string,
  count: number,
  text: (i: number) => string = (i) => `record ${i}`,
): Promise<LmdbMemoryStore> {
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  for (let from = 0; from < count; from += 1000) {
    const ids = Array.from({ length: Math.min(1000, count - from) }, (_, k) => from + k);
    await Promise.all(ids.map((i) => store.insert({ id: recordId(i), text: text(i) })));
  }
  return store;
}

/** `count` pairs spread round-robin over `records` records, as recall would make them. */
export function makePairs(from: number, count: number, records: number, ts = new Date().toISOString()): ProvenancePair[] {
  const pairs: ProvenancePair[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const i = from + k;
    pairs[k] = [recordId(i % records), { ts, cue: `cue ${i}`, sessionId: 'bench' }];
  }
  return pairs;
}

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function nowMs(): number {
  return performance.now();
}
