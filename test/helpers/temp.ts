// Temp directories for real LMDB stores and spill dirs, removed after each test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  // A queue built directly keeps its journal beside its spill dir (`<spillDir>-journal`).
  for (const d of made) for (const p of [d, `${d}-journal`]) rmSync(p, { recursive: true, force: true });
});

/**
 * A new dir `<tmpdir>/<prefix>p<pid>-XXXXXX`, removed after the test file. The pid lets the
 * next run sweep what a killed run left (test/helpers/stale-test-dirs.ts).
 */
export function tempDir(prefix = 'provq-test-'): string {
  const d = mkdtempSync(join(tmpdir(), `${prefix}p${process.pid}-`));
  made.push(d);
  return d;
}
