// What the test helpers made for a file (temp dirs, small filesystems' mounts) is taken down
// after that file, also when the files share one worker's modules (`isolate: false`, as
// `npm run mutate` runs the queue area): a helper's module-level afterAll would be registered
// by the first file that loads it, and run for it alone.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`));

// When the cleanup under test fails, its mounts are taken down here (before the dir is removed).
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) for (const m of mountsUnder(r)) spawnSync('umount', ['-l', m]);
});

describe('the helpers\' cleanup after each test file', () => {
  // Checked against its revert (temp.ts and small-fs.ts with their own module-level afterAll
  // again, file-cleanup.ts out of vitest.config.ts's setup files): the second file's temp dir
  // and its tmpfs mount are left, and this fails.
  it('removes every file\'s temp dirs and unmounts its small filesystems when two files share a worker', { timeout: 120_000 }, async () => {
    const root = tempDir('provq-cleanup-');
    const tmp = join(root, 'tmp');
    const log = join(root, 'threads.log');
    mkdirSync(tmp);
    roots.push(tmp);
    const child = spawn('npx', ['vitest', 'run', '--config', 'test/harness/shared-worker/vitest.config.ts'], {
      env: { ...process.env, TMPDIR: tmp, PROVQ_FIXTURE_LOG: log },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (out += d));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, out).toBe(0);
    // Both files ran, in one worker thread: they shared the helpers' modules.
    const threads = readFileSync(log, 'utf8').trim().split('\n');
    expect(threads).toHaveLength(2);
    expect(new Set(threads).size).toBe(1);
    expect(mountsUnder(tmp)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
