// The store's own disk, and the exit's last resort: a real small tmpfs under the LMDB store
// fills up and frees again; and an exit with sink and spill dir both failing, whose stderr
// (a pipe) is the only way out. Each reports lost / doubled / out of order / hung.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { silentLogger } from '../src/log.js';
import { runWorkload, startWorkload } from './child.js';
import { audit, exactResult, freshStore, RECORDS, scratchDir, type ScenarioResult } from './scenario.js';
import { lastJsonLine } from './sink-faults.js';

/** A store with records r0..r9 on a fresh tmpfs of `sizeMiB`; unmount() undoes it. */
async function storeOnSmallFs(sizeMiB: number): Promise<{ mnt: string; storePath: string; unmount(): void }> {
  const mnt = scratchDir('smallfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', mnt]);
  const storePath = join(mnt, 'store');
  const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
  for (let r = 0; r < RECORDS; r++) await store.insert({ id: `r${r}`, text: `record ${r}` });
  await store.close();
  return { mnt, storePath, unmount: () => void spawnSync('umount', ['-l', mnt]) };
}

export async function storeDiskFullScenario(pairs: number): Promise<ScenarioResult> {
  const fs = await storeOnSmallFs(16);
  try {
    const child = startWorkload({
      storePath: fs.storePath,
      ending: 'settle',
      pairs,
      records: RECORDS,
      batchPairs: 100,
      fillDisk: join(fs.mnt, 'filler'),
      padBytes: 1000,
      queue: { coalesceMs: 0, maxBatchPairs: 50, retryBaseMs: 5, retryMaxMs: 100, maxAttempts: 2, idlePollMs: 50 },
    });
    const full = await child.waitForLine(/^disk full /).catch(() => '');
    rmSync(join(fs.mnt, 'filler'), { force: true });
    const r = await child.done;
    const stats = lastJsonLine(r.stdout);
    // The store is copied off the tmpfs by reading it in place (audit opens it read-write).
    const result = exactResult(
      'store disk full (16 MiB tmpfs), then space back',
      1,
      pairs,
      await audit(fs.storePath, 'c', pairs),
      `${r.timedOut ? 'HUNG, killed' : `exit ${r.code}`}; while full: ${full ? 'kept' : 'never reported full'}; write errors ${stats?.writeErrors ?? '?'}, spill errors ${stats?.spillErrors ?? '?'}`,
    );
    result.pass &&= r.code === 0 && !r.timedOut && full !== '';
    return result;
  } finally {
    fs.unmount();
  }
}

export async function exitStderrOnlyScenario(pairs: number): Promise<ScenarioResult> {
  const storePath = await freshStore('stderr');
  const base = scratchDir('stderr-blocked');
  const r = await runWorkload({
    storePath,
    ending: 'exit',
    exitCode: 3,
    pairs,
    records: RECORDS,
    batchPairs: 100,
    syncWriteFails: true,
    spillDirBlocker: join(base, 'blocker'),
    queue: { coalesceMs: 60_000, durability: 'memory', spillDir: join(base, 'blocker', 'spill') },
  });
  // What an operator does with them: the spill lines from stderr into the store's spill dir.
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('{"recordId"'));
  const spillDir = join(storePath, 'provenance-overflow');
  mkdirSync(spillDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(spillDir, 'from-stderr.jsonl'), `${lines.join('\n')}\n`, { mode: 0o600 });
  const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
  const q = store.enableProvenanceQueue({ durability: 'memory', idlePollMs: 50 });
  for (let i = 0; i < 400 && q.stats().respooledPairs < lines.length; i++) await new Promise((res) => setTimeout(res, 50));
  await store.close();
  const result = exactResult(
    'exit with stderr piped, sync sink and spill dir both failing',
    1,
    pairs,
    await audit(storePath, 'c', pairs),
    `${r.timedOut ? 'HUNG, killed' : `exit ${r.code}`}; ${lines.length} spill lines on stderr, replayed into the store`,
  );
  result.pass &&= r.code === 3 && !r.timedOut && lines.length === pairs;
  return result;
}
