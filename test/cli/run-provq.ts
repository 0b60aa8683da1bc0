// Runs the built provq (dist/) as a user would, and the stores it works on.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../src/log.js';
import type { ProvenanceEntry } from '../../src/schemas.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';

const PROVQ = fileURLToPath(new URL('../../dist/cli/provq.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function provq(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    // SIGKILL at the limit: a provq stuck in a loop (a mutant of the mutation run, say) never
    // runs its SIGTERM handler, and was left spinning a core after its test had failed.
    // 90 s: one provq took up to 28 s at load 17 (a salvage), within reach of the old 30 s.
    execFile(process.execPath, [PROVQ, ...args], { timeout: 90_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** A closed store holding the given records, no provenance; returns its path. */
export async function makeStore(records: string[]): Promise<string> {
  const path = tempDir('provq-cli-');
  const s = await LmdbMemoryStore.open({ path, logger: silentLogger });
  for (const id of records) await s.insert({ id, text: `record ${id}` });
  await s.close();
  return path;
}

export const spillDirOf = (store: string) => join(store, 'provenance-overflow');

/** A record's provenance, read after the CLI has closed the store. */
export async function provenanceOf(path: string, id: string): Promise<ProvenanceEntry[]> {
  const s = await LmdbMemoryStore.open({ path, logger: silentLogger });
  try {
    return (await s.get(id))!.provenance;
  } finally {
    await s.close();
  }
}

export async function cuesOf(path: string, id: string): Promise<string[]> {
  return (await provenanceOf(path, id)).map((e) => e.cue);
}

/** A hand-made spill line without entryId; a fixed ts makes derived ids differ only by line number. */
export function line(recordId: string, cue: string, ts = '2026-01-31T12:00:00.000Z'): string {
  return JSON.stringify({ recordId, entry: { ts, cue, sessionId: 'hand' } });
}
