// A real disk whose writeback fails: ext4 on a loop device whose sparse backing file lives
// on a small tmpfs (device-mapper's dm-error is not available here). Writes land in the
// page cache as usual; once the tmpfs is full, writeback — and so fsync — fails (the loop
// driver reports ENOSPC for the block writes, which fsync passes on). `powerCut()` copies
// the backing file as it is at that instant — what a power loss would leave on the disk —
// and mounts the copy. Everything is unmounted and detached after each use and again after
// the test file (test/helpers/file-cleanup.ts), also when a test fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.js';

const undo: (() => void)[] = [];

/** Unmounts and detaches what every failing disk made and its test did not undo, last made first. */
export function undoFailingDisks(): void {
  for (const u of undo.splice(0).reverse()) u();
}

/** Runs `undo` once: now (the test's own cleanup) or after the file, whichever comes first. */
function once(fn: () => void): () => void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    fn();
  };
  undo.push(run);
  return run;
}

function attach(file: string): { dev: string; detach: () => void } {
  const dev = execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8' }).trim();
  return { dev, detach: () => void spawnSync('losetup', ['-d', dev]) };
}

export interface Mounted {
  dir: string;
  unmount(): void;
}

export interface FailingDisk extends Mounted {
  /** Fills the tmpfs under the disk but `leaveBytes`: writeback past them fails. */
  starve(leaveBytes: number): void;
  /** Gives back what starve took: writeback works again. */
  feed(): void;
  /** The disk as a power loss at this instant would leave it (journal replayed), mounted read-only. */
  powerCut(): Mounted;
}

export function failingDisk(): FailingDisk {
  const base = tempDir('provq-faildisk-');
  const backing = join(base, 'backing');
  const dir = join(base, 'mnt');
  execFileSync('mkdir', ['-p', backing, dir]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0700', 'tmpfs', backing]);
  const umountBacking = once(() => void spawnSync('umount', ['-l', backing]));
  const image = join(backing, 'disk.img');
  execFileSync('truncate', ['-s', '64M', image]);
  const loop = attach(image);
  const detach = once(loop.detach);
  // Metadata written in full now (no lazy init), so only file data needs new tmpfs pages.
  execFileSync('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', loop.dev]);
  execFileSync('mount', [loop.dev, dir]);
  const umount = once(() => {
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
  });
  const ballast = join(backing, 'ballast');
  const cuts: Mounted[] = [];
  return {
    dir,
    starve(leaveBytes) {
      const fs = statfsSync(backing);
      const free = fs.bavail * fs.bsize;
      execFileSync('fallocate', ['-l', String(Math.max(4096, free - leaveBytes)), ballast]);
    },
    feed: () => rmSync(ballast, { force: true }),
    powerCut() {
      const at = tempDir('provq-powercut-');
      const copy = join(at, 'disk.img');
      execFileSync('cp', ['--sparse=always', image, copy]);
      const cutLoop = attach(copy);
      const cutDetach = once(cutLoop.detach);
      const cutDir = join(at, 'mnt');
      execFileSync('mkdir', ['-p', cutDir]);
      execFileSync('mount', ['-o', 'ro', cutLoop.dev, cutDir]);
      const cutUmount = once(() => void spawnSync('umount', [cutDir]));
      const cut = {
        dir: cutDir,
        unmount() {
          cutUmount();
          cutDetach();
          rmSync(copy, { force: true });
        },
      };
      cuts.push(cut);
      return cut;
    },
    unmount() {
      for (const c of cuts.splice(0)) c.unmount();
      rmSync(ballast, { force: true }); // so the unmount's writeback does not fail
      umount();
      detach();
      umountBacking();
    },
  };
}
