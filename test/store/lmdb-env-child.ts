// Harness for test/store/lmdb-env.test.ts, run as real child processes on one store
// after another (`storePaths`), two at a time (or a writer alone, `growToBytes` 0: it opens,
// writes a record and closes each store):
// - 'grow' waits for the writer's `ready` file in each store, then inserts 64 KiB records
//   until the store file reaches `growToBytes`: the data passes the other process's memory
//   map again and again (lmdb-js starts a map at 128 KiB and doubles it when data pass it).
// - 'write' opens each store, puts provenance from its writer thread (async puts) and reads
//   on its main thread (each read in a new event turn begins a read transaction) until the
//   file has grown, closes the store, and counts the mappings of the store file left behind.
//   Prints `{ "mapsLeft": [..] }`, one count per store.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { STORE_FILE } from '../../src/store/store-layout.js';
import type { ProvenancePair } from '../../src/schemas.js';

export interface SharedGrowthConfig {
  mode: 'grow' | 'write';
  storePaths: string[];
  growToBytes: number;
}

const READY_FILE = 'writer-ready';
const BIG_TEXT = 'x'.repeat(64 * 1024);
const turn = () => new Promise((r) => setImmediate(r));
const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

async function grow(storePath: string, growToBytes: number): Promise<void> {
  while (!existsSync(join(storePath, READY_FILE))) await new Promise((r) => setTimeout(r, 5));
  const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
  while (sizeOf(join(storePath, STORE_FILE)) < growToBytes) {
    await Promise.all(Array.from({ length: 8 }, () => store.insert({ text: BIG_TEXT })));
  }
  await store.close();
}

/** Mappings of the store's data file in this process (lines of /proc/self/maps ending in its path). */
function mappingsOf(file: string): number {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(` ${file}`)).length;
}

async function write(storePath: string, growToBytes: number): Promise<number> {
  const file = join(storePath, STORE_FILE);
  const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
  await store.insert({ id: 'r1', text: 'a record' });
  writeFileSync(join(storePath, READY_FILE), '');
  // The same environment opened a second time in this process shares the store's MDB_env
  // (lmdb-js keeps one per file): its reads begin read transactions on the main thread as
  // often as a tight loop can, where the store's own reads begin one an event turn.
  const reader = open({ path: file, overlappingSync: false, maxDbs: 4 } as Parameters<typeof open>[0]);
  const inFlight = new Set<Promise<unknown>>();
  for (let n = 0; sizeOf(file) < growToBytes; n++) {
    const pairs: ProvenancePair[] = Array.from({ length: 10 }, (_, i) => ['r1', { ts: new Date().toISOString(), cue: `c${n}.${i}`, sessionId: 's' }]);
    const put = store.appendProvenanceBatch(pairs);
    inFlight.add(put);
    void put.finally(() => inFlight.delete(put));
    if (inFlight.size > 8) await Promise.race(inFlight);
    await store.get('r0'); // a read on the main thread, in a read transaction begun this turn
    for (const until = performance.now() + 2; performance.now() < until; ) {
      reader.resetReadTxn();
      reader.get('storeId');
    }
    await turn();
  }
  await Promise.all(inFlight);
  await reader.close();
  await store.close();
  return mappingsOf(file);
}

const cfg = JSON.parse(process.argv[2]!) as SharedGrowthConfig;
const mapsLeft: number[] = [];
for (const storePath of cfg.storePaths) {
  if (cfg.mode === 'grow') await grow(storePath, cfg.growToBytes);
  else mapsLeft.push(await write(storePath, cfg.growToBytes));
}
process.stdout.write(`${JSON.stringify({ mapsLeft })}\n`);
