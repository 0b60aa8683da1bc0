// The spill directory's disk fails during an overload (really full, or really not a
// directory), then heals: pairs wait in memory meanwhile, and nothing is lost or doubled.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWorkload } from './child.js';
import { lastJsonLine } from './sink-faults.js';
import { audit, exactResult, freshStore, RECORDS, scratchDir, type ScenarioResult } from './scenario.js';

interface BrokenDir {
  spillDir: string;
  kind: string;
  heal(): void;
  dispose(): void;
}

/** A full 1 MiB tmpfs (ENOSPC) where mounting is allowed, else a file in the way (ENOTDIR). */
export function brokenSpillDir(): BrokenDir {
  const base = scratchDir('disk');
  const mnt = join(base, 'mnt');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
    const filler = join(mnt, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
    } catch {
      // ENOSPC: full, as intended
    }
    const spillDir = join(mnt, 'spill');
    mkdirSync(spillDir, { mode: 0o700 });
    return { spillDir, kind: 'ENOSPC', heal: () => rmSync(filler), dispose: () => execFileSync('umount', ['-l', mnt], { stdio: 'ignore' }) };
  } catch {
    const blocker = join(base, 'blocked');
    writeFileSync(blocker, 'in the way');
    return { spillDir: join(blocker, 'spill'), kind: 'ENOTDIR', heal: () => rmSync(blocker), dispose: () => {} };
  }
}

export async function diskFailureScenario(pairs: number, brokenMs: number): Promise<ScenarioResult> {
  const storePath = await freshStore('disk');
  const broken = brokenSpillDir();
  try {
    const child = startWorkload({
      storePath,
      ending: 'settle',
      pairs,
      records: RECORDS,
      sinkDelayMs: 20,
      yieldEvery: 2,
      queue: { spillDir: broken.spillDir, maxQueueSize: 4, maxBatchPairs: 20, coalesceMs: 0, retryBaseMs: 20, retryMaxMs: 200, idlePollMs: 100 },
    });
    await new Promise((r) => setTimeout(r, brokenMs));
    broken.heal();
    const r = await child.done;
    const stats = lastJsonLine(r.stdout);
    return exactResult(
      `spill disk fails (${broken.kind}) during overload, then heals`,
      1,
      pairs,
      await audit(storePath, 'c', pairs),
      `exit ${r.code}; spill errors ${stats?.spillErrors ?? '?'}, spilled ${stats?.spilledPairs ?? '?'}`,
    );
  } finally {
    broken.dispose();
  }
}
