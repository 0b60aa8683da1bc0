// Whether the lmdb native module this process loads carries the fixes that
// scripts/lmdb-open-race-fix.mjs builds at install (docs/guarantees.md, "The open race"):
// the open-race guard and room for its write-error messages.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';

/** What the install script writes beside the binary it built. */
const fixMarkerSchema = z.object({ lmdb: z.string(), guard: z.boolean(), writeErrorFix: z.boolean().optional(), sha256: z.string() });

export type LmdbFixState = { fixed: true } | { fixed: false; reason: string };

const REBUILD = 'run `node node_modules/provenance-queue/scripts/lmdb-open-race-fix.mjs` (needs python3, make and a C++ compiler)';

/** The lmdb package this module resolves (the one the store imports). */
function installedLmdbDir(): string {
  // lmdb does not export its package.json: the folder above its entry point that holds one.
  let dir = dirname(createRequire(import.meta.url).resolve('lmdb'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

/**
 * Checks `lmdbDir`'s build/Release/lmdb.node against the marker the install script wrote: a
 * binary lmdb-js would load first (unless PREBUILDS_ONLY is set), built with the guard, and
 * not replaced since (its sha256).
 */
export function checkLmdbOpenRaceFix(lmdbDir = installedLmdbDir(), env: NodeJS.ProcessEnv = process.env): LmdbFixState {
  if (env.PREBUILDS_ONLY) return { fixed: false, reason: `PREBUILDS_ONLY is set, so lmdb loads its prebuilt binary, which lacks the fix; unset it` };
  const release = join(lmdbDir, 'build', 'Release');
  let marker: z.infer<typeof fixMarkerSchema>;
  try {
    marker = fixMarkerSchema.parse(JSON.parse(readFileSync(join(release, 'provq-lmdb-fix.json'), 'utf8')));
  } catch {
    return { fixed: false, reason: `${release} has no provq-lmdb-fix.json: lmdb's prebuilt binary is in use; ${REBUILD}` };
  }
  if (!marker.guard) return { fixed: false, reason: `${release}/lmdb.node was built without the guard (--without-guard); ${REBUILD}` };
  if (marker.writeErrorFix !== true) {
    return { fixed: false, reason: `${release}/lmdb.node was built without the write-error buffer fix (a full disk can abort the process); ${REBUILD}` };
  }
  let binary: Buffer;
  try {
    binary = readFileSync(join(release, 'lmdb.node'));
  } catch {
    return { fixed: false, reason: `${release}/lmdb.node is missing; ${REBUILD}` };
  }
  if (createHash('sha256').update(binary).digest('hex') !== marker.sha256) {
    return { fixed: false, reason: `${release}/lmdb.node is not the binary the fix built (it was rebuilt or replaced since); ${REBUILD}` };
  }
  return { fixed: true };
}

let installed: LmdbFixState | undefined;

/** {@link checkLmdbOpenRaceFix} of the installed lmdb, once per process. */
export function installedLmdbFix(): LmdbFixState {
  installed ??= checkLmdbOpenRaceFix();
  return installed;
}

/** Logs `PROVQ_LMDB_UNFIXED` (with the reason and what to run) when the installed lmdb lacks the fixes. */
export function warnIfLmdbUnfixed(log: Logger, path: string): void {
  const fix = installedLmdbFix();
  if (fix.fixed) return;
  log.warn(
    { path, code: 'PROVQ_LMDB_UNFIXED', reason: fix.reason },
    'lmdb lacks the open-race fix: a process opening this store (provq stats, another application) while this one commits can undo an acknowledged commit',
  );
}
