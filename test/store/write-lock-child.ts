// Harness for test/store/close-bounded.test.ts, run as a real child process:
//   hold  — opens the store's LMDB environment and holds its write lock for `holdMs`
//           (a stuck repair tool or a second process mid-commit, as an operator would meet it);
//   count — opens the store with its queue, lets it read back what was spilled or journaled,
//           and prints every entry of record r1 as JSON.
import { open } from 'lmdb';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { STORE_FILE } from '../../src/store/store-layout.js';

const cfg = JSON.parse(process.argv[2]!) as { mode: 'hold' | 'count'; storePath: string; holdMs?: number };

if (cfg.mode === 'hold') {
  const env = open({ path: join(cfg.storePath, STORE_FILE), overlappingSync: false, maxDbs: 4 } as Parameters<typeof open>[0]);
  env.transactionSync(() => {
    process.stdout.write('holding\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, cfg.holdMs ?? 60_000);
  });
} else {
  const store = await LmdbMemoryStore.open({ path: cfg.storePath, logger: silentLogger });
  const queue = store.enableProvenanceQueue({ logger: silentLogger, idlePollMs: 50 });
  await queue.flush(20_000);
  const cues = ((await store.get('r1'))?.provenance ?? []).map((e) => e.cue);
  process.stdout.write(`${JSON.stringify(cues)}\n`);
  await store.close();
}
