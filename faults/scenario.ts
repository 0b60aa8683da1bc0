// What every fault scenario reports, and the shared steps: a fresh store, a run, an audit.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { silentLogger } from '../src/log.js';
import { auditCues, readCues } from './audit.js';
import { takeDownDir } from './take-down-dir.js';

export interface ScenarioResult {
  scenario: string;
  runs: number;
  enqueued: number;
  durable: number;
  lost: number;
  duplicated: number;
  orderViolations: number;
  /** Pairs the sink refused for ever, set aside on disk in a quarantined file (not lost, not durable in the sink). */
  setAside?: number;
  /** What a pass means for this scenario (0 lost, or lost within a bound). */
  expectation: string;
  pass: boolean;
  note?: string;
}

export interface SuiteSize {
  quick: boolean;
}

export const RECORDS = 10;

/** Every scratch dir this process made and has not removed; and those of the row running (runRow). */
const scratchDirs: string[] = [];
const rowDirs = new AsyncLocalStorage<string[]>();

/**
 * A temp dir for a scenario, `provq-faults-<prefix>-p<pid>-XXXXXX`: removed at the end of its
 * row (runRow), else by removeScratchDirs; the pid lets the next test run sweep what a killed
 * run left (test/helpers/stale-test-dirs.ts).
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `provq-faults-${prefix}-p${process.pid}-`));
  scratchDirs.push(dir);
  rowDirs.getStore()?.push(dir);
  return dir;
}

function removeDirs(dirs: string[]): void {
  for (const dir of dirs) {
    const i = scratchDirs.indexOf(dir);
    if (i >= 0) scratchDirs.splice(i, 1);
    takeDownDir(dir); // its mounts and loop devices too, when a row ended before undoing them
  }
}

/** Removes every scratch dir made so far in this process. */
export function removeScratchDirs(): void {
  removeDirs([...scratchDirs]);
}

/**
 * Runs one row and removes the scratch dirs it made when it ends — also when it throws, or
 * ends after the caller gave up on it (a test's timeout): only its own dirs, even if another
 * row runs by then.
 */
export async function runRow<T>(row: () => Promise<T>): Promise<T> {
  const dirs: string[] = [];
  try {
    return await rowDirs.run(dirs, row);
  } finally {
    removeDirs(dirs);
  }
}

/** A store with records r0..r9, closed again so children can open it. */
export async function freshStore(prefix: string): Promise<string> {
  const path = scratchDir(prefix);
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  for (let r = 0; r < RECORDS; r++) await store.insert({ id: `r${r}`, text: `record ${r}` });
  await store.close();
  return path;
}

export async function audit(storePath: string, prefix: string, expected: number) {
  return auditCues(await readCues(storePath, RECORDS), prefix, expected);
}

/** A result that passes when nothing was lost, doubled or reordered. */
export function exactResult(scenario: string, runs: number, enqueued: number, a: Awaited<ReturnType<typeof audit>>, note?: string): ScenarioResult {
  const pass = a.lost === 0 && a.duplicated === 0 && a.orderViolations === 0;
  return { scenario, runs, enqueued, ...a, expectation: '0 lost, 0 duplicated', pass, ...(note ? { note } : {}) };
}

export function sumAudits(list: Awaited<ReturnType<typeof audit>>[]) {
  return list.reduce(
    (t, a) => ({
      durable: t.durable + a.durable,
      lost: t.lost + a.lost,
      duplicated: t.duplicated + a.duplicated,
      orderViolations: t.orderViolations + a.orderViolations,
    }),
    { durable: 0, lost: 0, duplicated: 0, orderViolations: 0 },
  );
}
