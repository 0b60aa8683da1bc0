// Temp directories for real LMDB stores and spill dirs, removed after each test file
// (test/helpers/file-cleanup.ts, a setup file: it runs for every file, also when the files of a
// run share one module instance of this helper, as `npm run mutate`'s queue area does).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** Removes every dir tempDir() made so far (and each one's `-journal` sibling). */
export function removeTempDirs(): void {
  // A queue built directly keeps its journal beside its spill dir (`<spillDir>-journal`).
  for (const d of made.splice(0)) for (const p of [d, `${d}-journal`]) rmSync(p, { recursive: true, force: true });
}

/**
 * A new dir `<tmpdir>/<prefix>p<pid>-XXXXXX`, removed after the test file. The pid lets the
 * next run sweep what a killed run left (test/helpers/stale-test-dirs.ts).
 */
export function tempDir(prefix = 'provq-test-'): string {
  const d = mkdtempSync(join(tmpdir(), `${prefix}p${process.pid}-`));
  made.push(d);
  return d;
}
