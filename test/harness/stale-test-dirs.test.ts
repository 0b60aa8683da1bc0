// The sweep at the start of a test run takes down what a killed run left — and nothing of
// a run that is still going.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStaleTestDirs } from '../helpers/stale-test-dirs.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const mounted = (dir: string) => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1]?.startsWith(dir)).length;
/** The loop device is attached (to any file). */
const attached = (loop: string) => existsSync(`/sys/block/${loop.replace('/dev/', '')}/loop/backing_file`);

/**
 * A process that makes a test dir as failing-disk.ts does (a tmpfs holding a disk image, the
 * image on a loop device, ext4 on it mounted) and then waits to be killed.
 */
async function holderOfADisk(root: string): Promise<{ dir: string; loop: string; kill: () => Promise<void> }> {
  const script = `set -e
d=$(mktemp -d "$ROOT/provq-faildisk-p$$-XXXXXX")
mkdir "$d/backing" "$d/mnt"
mount -t tmpfs -o size=16m tmpfs "$d/backing"
truncate -s 8M "$d/backing/disk.img"
dev=$(losetup -f --show "$d/backing/disk.img")
mkfs.ext4 -q -F "$dev"
mount "$dev" "$d/mnt"
echo "$d $dev"
exec sleep 600`;
  const child = spawn('sh', ['-c', script], { env: { ...process.env, ROOT: root }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [out] = (await once(child.stdout!, 'data')) as [Buffer];
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  };
  const [dir, loop] = out.toString().trim().split(' ') as [string, string];
  cleanups.push(async () => {
    await kill();
    sweepStaleTestDirs(root); // the same sweep, so a failing test leaves nothing mounted
    if (attached(loop)) spawnSync('losetup', ['-d', loop]); // nor a loop device, if the sweep failed at that
  });
  return { dir, loop, kill };
}

describe('sweeping what killed test runs left', () => {
  // Checked against its revert (sweepStaleTestDirs returning at once): the dir, two mounts
  // and the loop device stay after the holder is killed, and the second part fails. And with
  // the tmpfs unmounted before the loop device is detached, the device stays attached to a
  // file no path leads to any more (three such were left by this test's first version).
  it('leaves a live process\'s dir alone; once it is killed, unmounts ext4 and its tmpfs, detaches the loop device and removes the dir', async () => {
    const root = tempDir('provq-sweep-');
    const { dir, loop, kill } = await holderOfADisk(root);
    expect(mounted(dir)).toBe(2);
    expect(attached(loop)).toBe(true);
    expect(sweepStaleTestDirs(root)).toEqual([]);
    expect(existsSync(dir)).toBe(true);
    expect(mounted(dir)).toBe(2);

    await kill();
    expect(sweepStaleTestDirs(root)).toEqual([dir]);
    expect({ exists: existsSync(dir), mounts: mounted(dir), attached: attached(loop) }).toEqual({ exists: false, mounts: 0, attached: false });
  });
});
