// The exit drain's last resort: with the sync sink and the spill dir both failing, every
// spill line goes to stderr, and every one arrives when stderr is a pipe read slowly (as a
// container runtime or a supervisor reads it), before the process ends.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { WorkloadConfig } from '../../faults/workload.js';
import { tempDir } from '../helpers/temp.js';

const WORKLOAD = fileURLToPath(new URL('../../faults/workload-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a workload child whose stderr is a pipe the parent reads slowly: a chunk, then a pause of `pauseMs`. */
function runWithSlowStderr(cfg: WorkloadConfig, pauseMs: number): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKLOAD, JSON.stringify(cfg)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => {
    chunks.push(c);
    child.stderr.pause();
    setTimeout(() => child.stderr.resume(), pauseMs);
  });
  // 'close': the process has ended and its stderr has been read to the end.
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr: Buffer.concat(chunks).toString('utf8') })));
}

describe('exit with sink and spill dir both failing, stderr a slow pipe (real child process)', () => {
  // Checked: with stderr-dump writing through process.stderr.write (the version),
  // this fails (lines missing; the test ran into its 60 s limit). The non-blocking case
  // (EAGAIN) is checked on a FIFO in stderr-dump.test.ts.
  it('every one of 8,000 pairs reaches stderr as a spill line before the process ends, and the exit code stays', async () => {
    const dir = tempDir();
    const N = 8000;
    const r = await runWithSlowStderr(
      {
        storePath: join(dir, 'store'),
        ending: 'exit',
        exitCode: 5,
        pairs: N,
        records: 10,
        batchPairs: 100,
        syncWriteFails: true,
        spillDirBlocker: join(dir, 'blocker'),
        queue: { coalesceMs: 60_000, durability: 'memory', spillDir: join(dir, 'blocker', 'spill') },
      },
      20,
    );
    expect(r.code).toBe(5);
    const all = r.stderr.split('\n');
    const oddAt = all.findIndex((l) => l.startsWith('{"recordId"') && !l.endsWith('}}'));
    expect(oddAt === -1 ? [] : [all.length, oddAt, all[oddAt]!.slice(-80), (all[oddAt + 1] ?? '').slice(0, 200)]).toEqual([]);
    const cues = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{"recordId"'))
      .map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue);
    expect(cues).toHaveLength(N);
    expect(new Set(cues).size).toBe(N);
    expect(r.stderr.length).toBeGreaterThan(1024 * 1024); // far past a pipe's 64 KiB buffer
  });
});
