// lmdb's open race (docs/guarantees.md, "The open race"): a process opening a store while
// another commits must not undo that commit. lmdb-js's own build stores the transaction id its
// open read into the shared lock region, unlocked; scripts/lmdb-open-race-fix.mjs (run at
// install) restores upstream LMDB's guard and adds a pause after the meta page is read
// (PROVQ_LMDB_OPEN_PAUSE), so this test commits inside the window every time instead of
// hoping for it.
// Checked: with lmdb rebuilt `--without-guard`, the first test failed (the record inserted
// during provq's open was gone after the next commit; 5 of 5 runs) and the store logged
// PROVQ_LMDB_UNFIXED; rebuilt with the guard, both pass.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { checkLmdbOpenRaceFix, installedLmdbFix } from '../../src/store/lmdb-fix-check.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const PROVQ = fileURLToPath(new URL('../../dist/cli/provq.js', import.meta.url));

describe('a process opening a live store', () => {
  it('does not undo a record committed while it opened (provq stats beside the application)', async () => {
    const path = tempDir('provq-open-race-');
    const pause = join(tempDir('provq-open-race-pause-'), 'go');
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    try {
      await store.insert({ id: 'before', text: 'committed before provq opened' });
      const stats = new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [PROVQ, 'stats', '--store', path, '--json'], { env: { ...process.env, PROVQ_LMDB_OPEN_PAUSE: pause }, timeout: 90_000, killSignal: 'SIGKILL' }, (err, _out, stderr) =>
          resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stderr }),
        );
      });
      // provq has read the store's meta page and stopped before finishing its open.
      expect(await until(() => existsSync(`${pause}.reached`), 60_000)).toBe(true);
      await store.insert({ id: 'during', text: 'committed while provq was opening' });
      writeFileSync(pause, '');
      expect(await stats).toMatchObject({ code: 0 });
      await store.insert({ id: 'after', text: 'the next commit' });
    } finally {
      await store.close();
    }
    const reopened = await LmdbMemoryStore.open({ path, logger: silentLogger });
    try {
      expect([await reopened.get('before'), await reopened.get('during'), await reopened.get('after')].map((r) => r?.id)).toEqual(['before', 'during', 'after']);
    } finally {
      await reopened.close();
    }
  });

  it('is safe with the lmdb this install built: the store does not warn PROVQ_LMDB_UNFIXED', async () => {
    expect(installedLmdbFix()).toEqual({ fixed: true });
    const warned: unknown[] = [];
    const logger: Logger = { ...silentLogger, warn: (fields: unknown) => warned.push(fields) };
    const store = await LmdbMemoryStore.open({ path: tempDir('provq-open-race-'), logger });
    await store.close();
    expect(warned).not.toContainEqual(expect.objectContaining({ code: 'PROVQ_LMDB_UNFIXED' }));
  });
});

describe('the lmdb fix check', () => {
  /** A copy of an lmdb package's build as the install script leaves it. */
  function fakeLmdb(binary: string, marker: object | null): string {
    const dir = tempDir('provq-lmdb-fix-');
    const release = join(dir, 'build', 'Release');
    mkdirSync(release, { recursive: true });
    writeFileSync(join(release, 'lmdb.node'), binary);
    if (marker) writeFileSync(join(release, 'provq-lmdb-fix.json'), JSON.stringify(marker));
    return dir;
  }
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  it('accepts the binary the fix built and refuses a prebuilt, a replaced, an unguarded one or one without the write-error fix', () => {
    expect(checkLmdbOpenRaceFix(fakeLmdb('built', { lmdb: '3.5.6', guard: true, writeErrorFix: true, sha256: sha('built') }), {})).toEqual({ fixed: true });
    expect(checkLmdbOpenRaceFix(fakeLmdb('built', null), {})).toMatchObject({ fixed: false, reason: expect.stringContaining('prebuilt') });
    expect(checkLmdbOpenRaceFix(fakeLmdb('other', { lmdb: '3.5.6', guard: true, writeErrorFix: true, sha256: sha('built') }), {})).toMatchObject({ fixed: false, reason: expect.stringContaining('replaced') });
    expect(checkLmdbOpenRaceFix(fakeLmdb('built', { lmdb: '3.5.6', guard: false, writeErrorFix: true, sha256: sha('built') }), {})).toMatchObject({ fixed: false, reason: expect.stringContaining('without the guard') });
    expect(checkLmdbOpenRaceFix(fakeLmdb('built', { lmdb: '3.5.6', guard: true, sha256: sha('built') }), {})).toMatchObject({ fixed: false, reason: expect.stringContaining('write-error') });
    expect(checkLmdbOpenRaceFix(fakeLmdb('built', { lmdb: '3.5.6', guard: true, writeErrorFix: true, sha256: sha('built') }), { PREBUILDS_ONLY: '1' })).toMatchObject({ fixed: false, reason: expect.stringContaining('PREBUILDS_ONLY') });
  });
});
