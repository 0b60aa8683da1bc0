// Runs one case of full-disk-child.ts in a real child process and returns what it saw. A
// child that crashed (lmdb-js's native heap, say) or hung fails the test here, with its stderr.
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { startChildScript } from '../../faults/child.js';
import type { FullDiskCase, FullDiskReport } from './full-disk-child.js';

const CHILD = fileURLToPath(new URL('./full-disk-child.ts', import.meta.url));

export async function runFullDiskCase(cfg: FullDiskCase): Promise<FullDiskReport> {
  const r = await startChildScript(CHILD, cfg).done;
  expect({ code: r.code, signal: r.signal, timedOut: r.timedOut }, `the ${cfg.case} child's stderr:\n${r.stderr}`).toEqual({ code: 0, signal: null, timedOut: false });
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as FullDiskReport;
}
