// Item 9 of issue 9 (the store's half): the store directory is created 0700 and LMDB's files
// 0600, whatever the umask; a pre-existing store dir writable by group or others is tightened
// when this user owns it and refused, naming it, when another user does (the spill dir's rule).
// Checked against today's code: the dir came out 0755 and store.mdb 0644 (umask 022), a 0777
// dir was kept as is, and another user's world-writable dir was opened.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreOpenError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { STORE_FILE } from '../../src/store/store-layout.js';
import { tempDir } from '../helpers/temp.js';

const stores: LmdbMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close({ timeoutMs: 2000 });
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPEN_WITH_UMASK_002 = `
  process.umask(0o002);
  const { LmdbMemoryStore } = await import('./src/store/lmdb-memory-store.ts');
  const { silentLogger } = await import('./src/log.ts');
  const store = await LmdbMemoryStore.open({ path: process.argv[1], logger: silentLogger });
  await store.close({ timeoutMs: 2000 });
`;

const modeOf = (p: string) => statSync(p).mode & 0o777;

async function open(path: string): Promise<LmdbMemoryStore> {
  const s = await LmdbMemoryStore.open({ path, logger: silentLogger });
  stores.push(s);
  return s;
}

describe('store directory permissions', () => {
  // The store is opened in a child with umask 002: a worker thread (StrykerJS runs vitest in
  // threads) may not set the umask, and the test's own process keeps its own.
  it('creates the store directory 0700 and its LMDB files 0600, under a permissive umask', () => {
    const path = join(tempDir(), 'a', 'store');
    const opened = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', OPEN_WITH_UMASK_002, path],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(opened.stderr).toBe('');
    expect(opened.status).toBe(0);
    expect(modeOf(path)).toBe(0o700);
    expect(modeOf(join(path, STORE_FILE))).toBe(0o600);
    expect(modeOf(join(path, `${STORE_FILE}-lock`))).toBe(0o600);
  });

  it('tightens a store directory of ours that group or others could write, and LMDB files others could read', async () => {
    const path = join(tempDir(), 'store');
    mkdirSync(path);
    chmodSync(path, 0o777);
    const s = await open(path);
    await s.close();
    chmodSync(path, 0o777);
    chmodSync(join(path, STORE_FILE), 0o644); // as a store made by an earlier version
    await open(path);
    expect(modeOf(path)).toBe(0o700);
    expect(modeOf(join(path, STORE_FILE))).toBe(0o600);
  });

  // Needs root to chown (the suite runs as root, as CI does).
  it('refuses another user’s store directory that others can write, naming it, and touches nothing', async () => {
    const path = join(tempDir(), 'theirs');
    mkdirSync(path);
    chmodSync(path, 0o777);
    chownSync(path, 65534, 65534);
    const opening = LmdbMemoryStore.open({ path, logger: silentLogger });
    await expect(opening).rejects.toThrow(StoreOpenError);
    await expect(LmdbMemoryStore.open({ path, logger: silentLogger })).rejects.toThrow(
      new RegExp(`${path}.*writable by group or others.*uid 65534`),
    );
    expect(modeOf(path)).toBe(0o777);
    expect(() => statSync(join(path, STORE_FILE))).toThrow(/ENOENT/);
  });
});
