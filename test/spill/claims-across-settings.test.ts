// Processes sharing a spill dir need not share options: one with `claimStaleMs: 60000`
// and a `provq` command (10 s) or another queue (2 s, the schema's least) judge the same
// claims. A live holder's claim must look live to every one of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { claimSpillFile } from '../../src/spill/spill-claims.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A process holding the claim on `name` with its own claimStaleMs; resolves once it holds it. */
async function holder(dir: string, name: string, staleMs: number): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./claim-holder-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, name, String(staleMs)], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const [first] = (await once(child.stdout!, 'data')) as [Buffer];
  expect(first.toString()).toBe('held\n');
  return child;
}

describe('claims between processes with different claimStaleMs', () => {
  // Checked against its revert (the holder refreshing every staleMs / 2, 30 s here): the
  // claimant with 2 s saw the mtime unchanged for 2 s and took the live holder's file over
  // (the first expectation fails), so two processes read back the same file.
  it('a live holder with claimStaleMs 60 s keeps its file from a claimant with 2 s; once it dies, the file is taken', { timeout: 30_000 }, async () => {
    const dir = join(tempDir(), 'spill');
    const name = await writeQueueSpillFile(dir, 'r1', ['a', 'b']);
    const child = await holder(dir, name, 60_000);
    // For 5 s (2.5 × the claimant's staleMs) the claimant tries every 200 ms and never gets it.
    const takenWhileAlive: string[] = [];
    const end = performance.now() + 5000;
    while (performance.now() < end) {
      const claim = await claimSpillFile(dir, name, { staleMs: 2000, logger: silentLogger });
      if (claim) {
        takenWhileAlive.push(claim.name);
        await claim.release();
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(takenWhileAlive).toEqual([]);
    // The holder is killed: its claim stops being refreshed and the claimant takes it (so the
    // attempts above could have succeeded: they were refused because the holder lived).
    child.kill('SIGKILL');
    await once(child, 'exit');
    let taken = null;
    const deadline = performance.now() + 15_000;
    while (taken === null && performance.now() < deadline) {
      taken = await claimSpillFile(dir, name, { staleMs: 2000, logger: silentLogger });
      if (taken === null) await new Promise((r) => setTimeout(r, 200));
    }
    expect(taken?.name).toBe(name);
    await taken!.release();
  });
});
