// A small real filesystem (tmpfs with a size), for disk-full faults: mounted per test,
// unmounted by the caller's cleanup and again after the test file (test/helpers/file-cleanup.ts),
// also when a test fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.js';

const mounted: string[] = [];

/** Unmounts every small filesystem still mounted. */
export function unmountSmallFs(): void {
  for (const m of mounted.splice(0)) spawnSync('umount', ['-l', m]);
}

export interface SmallFs {
  /** The mount point. */
  dir: string;
  /** Fills every free byte (a filler file grown until ENOSPC). */
  fill(): void;
  /** Frees what fill() took. */
  free(): void;
  unmount(): void;
}

export function smallFs(sizeMiB: number): SmallFs {
  const dir = tempDir('provq-smallfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', dir]);
  mounted.push(dir);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      try {
        writeFileSync(filler, Buffer.alloc((sizeMiB + 1) * 1024 * 1024));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    },
    free: () => rmSync(filler, { force: true }),
    unmount() {
      const i = mounted.indexOf(dir);
      if (i >= 0) mounted.splice(i, 1);
      spawnSync('umount', ['-l', dir]);
    },
  };
}
