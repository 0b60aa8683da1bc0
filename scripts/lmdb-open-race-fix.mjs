#!/usr/bin/env node
// Rebuilds lmdb-js's native module with one line of upstream LMDB restored (and its error
// messages given room), run at install.
//
// lmdb-js (every release up to 3.5.6) stores the transaction id it read from the meta page
// into the environment's shared lock region on every open (mdb_env_open2,
// `env->me_txns->mti_txnid = meta.mm_txnid`), without the write lock. Upstream LMDB does it
// only for an MDB_PREVSNAPSHOT open; the first opener's id comes from mdb_env_share_locks. An
// open that overlaps another process's commit sets the shared id back, and the next writer
// overwrites that commit: acknowledged provenance entries vanish (docs/guarantees.md). This
// script restores the `prev &&` guard, adds a test hook (PROVQ_LMDB_OPEN_PAUSE=<file>: the
// open stops after reading the meta page, creates <file>.reached and waits for <file>, so a
// test can commit inside the window), rebuilds with node-gyp against Node's own headers, and
// writes build/Release/provq-lmdb-fix.json with the binary's sha256, which the store checks
// at open (src/store/lmdb-fix-check.ts).
//
// It also gives lmdb-js's error messages room: on a failed page write (ENOSPC, EIO)
// mdb_page_flush sprintf's "Attempting to write page at position …, buffer sizes …" — up to
// 133 characters — into malloc(100), and glibc later aborts the process ("corrupted size vs.
// prev_size"; docs/guarantees.md, "The store's own disk full"). Patched: malloc(256).
//
//   node scripts/lmdb-open-race-fix.mjs [--without-guard] [--without-write-error-fix] [--lmdb-dir <dir>]
// --without-guard builds the hook alone: the revert check of test/store/open-race.test.ts;
// --without-write-error-fix leaves the message buffer as it was: the revert check of
// test/store/write-error-crash.test.ts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARK = '/* provq-lmdb-fix */';
const UNGUARDED = '\tif (env->me_txns)\n\t\tenv->me_txns->mti_txnid = meta.mm_txnid;';
const GUARDED = `\tif (prev && env->me_txns) ${MARK}\n\t\tenv->me_txns->mti_txnid = meta.mm_txnid;`;
const READ_HEADER = '\tif ((i = mdb_env_read_header(env, prev, &meta)) != 0) {';
const READ_HEADER_HOOKED = `\ti = mdb_env_read_header(env, prev, &meta);\n\tprovq_open_pause(); ${MARK}\n\tif (i != 0) {`;
const ERROR_BUFFER = 'last_error = malloc(100);';
const OPEN2 = 'static int ESECT\nmdb_env_open2(MDB_env *env, int prev)\n{';
const HOOK = `${MARK}
static void provq_open_pause(void)
{
#ifndef _WIN32
	const char *path = getenv("PROVQ_LMDB_OPEN_PAUSE");
	char reached[4096];
	int fd;
	if (!path) return;
	snprintf(reached, sizeof(reached), "%s.reached", path);
	fd = open(reached, O_CREAT|O_WRONLY, 0600);
	if (fd >= 0) close(fd);
	while (access(path, F_OK) != 0) usleep(1000);
#endif
}

${OPEN2}`;

function replaceOnce(text, from, to, what) {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) {
    throw new Error(`lmdb-open-race-fix: ${what} not found exactly once in mdb.c; this lmdb version is not the one the fix was written for — check docs/guarantees.md before upgrading lmdb`);
  }
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The patched mdb.c; throws if the source is not the shape the fix was written for. */
export function patchMdb(source, { guard, writeErrorFix = true }) {
  let text = replaceOnce(source, OPEN2, HOOK, 'mdb_env_open2');
  text = replaceOnce(text, READ_HEADER, READ_HEADER_HOOKED, 'the meta page read in mdb_env_open2');
  if (guard) text = replaceOnce(text, UNGUARDED, GUARDED, 'the shared txnid store in mdb_env_open2');
  // lmdb-js formats its error messages into malloc(100); a failed page write (a full disk)
  // writes about 140 bytes there ("Attempting to write page at position …, buffer sizes …")
  // and glibc aborts the process ("corrupted size vs. prev_size"; 6 of 8 fresh processes
  // inserting 2 MiB on a full tmpfs). Every message fits in 256.
  if (!text.includes(ERROR_BUFFER)) throw new Error('lmdb-open-race-fix: lmdb-js\'s error buffer (malloc(100)) not found in mdb.c; check docs/guarantees.md before upgrading lmdb');
  if (writeErrorFix) text = text.replaceAll(ERROR_BUFFER, `last_error = malloc(256); ${MARK}`);
  return text;
}

/** The folder holding the package.json above `file` (lmdb does not export its package.json). */
function packageDir(file) {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

function main() {
  const args = process.argv.slice(2);
  const guard = !args.includes('--without-guard');
  const writeErrorFix = !args.includes('--without-write-error-fix');
  const dirAt = args.indexOf('--lmdb-dir');
  const require = createRequire(import.meta.url);
  const lmdbDir = dirAt >= 0 ? args[dirAt + 1] : packageDir(require.resolve('lmdb'));
  const version = JSON.parse(readFileSync(join(lmdbDir, 'package.json'), 'utf8')).version;
  const mdbPath = join(lmdbDir, 'dependencies/lmdb/libraries/liblmdb/mdb.c');
  const pristinePath = `${mdbPath}.provq-orig`;
  if (!existsSync(pristinePath)) writeFileSync(pristinePath, readFileSync(mdbPath));
  writeFileSync(mdbPath, patchMdb(readFileSync(pristinePath, 'utf8'), { guard, writeErrorFix }));

  const nodeGyp = process.env.npm_config_node_gyp ?? join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  const headers = join(dirname(process.execPath), '..');
  const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(headers, 'include/node/node.h')) ? headers : undefined);
  const gypArgs = [nodeGyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  console.log(`lmdb-open-race-fix: rebuilding lmdb ${version} (${guard ? 'with' : 'WITHOUT'} the open-race guard, ${writeErrorFix ? 'with' : 'WITHOUT'} the write-error buffer fix): node ${gypArgs.join(' ')}`);
  // The compiler's output (pages of lmdb's own warnings) is shown only when the build fails.
  const built = spawnSync(process.execPath, gypArgs, { cwd: lmdbDir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 });
  const binary = join(lmdbDir, 'build/Release/lmdb.node');
  if (built.status !== 0 || !existsSync(binary)) {
    process.stderr.write(`${built.stdout ?? ''}${built.stderr ?? ''}`.split('\n').slice(-60).join('\n'));
    console.error(`lmdb-open-race-fix: the rebuild failed (exit ${built.status}); lmdb's prebuilt binary stays in use and the store warns at open (PROVQ_LMDB_UNFIXED). Install python3, make and a C++ compiler, then run: node ${join('node_modules/provenance-queue/scripts/lmdb-open-race-fix.mjs')}`);
    process.exit(0);
  }
  const sha256 = createHash('sha256').update(readFileSync(binary)).digest('hex');
  writeFileSync(join(lmdbDir, 'build/Release/provq-lmdb-fix.json'), `${JSON.stringify({ lmdb: version, guard, writeErrorFix, sha256 }, null, 2)}\n`);
  console.log(`lmdb-open-race-fix: lmdb ${version} rebuilt ${guard ? 'with' : 'WITHOUT'} the guard (${binary})`);
}

try {
  main();
} catch (err) {
  // An lmdb whose source this script does not know (a newer release): the install goes on with
  // lmdb's own binary, and the store says so at open (PROVQ_LMDB_UNFIXED).
  console.error(`${err.message}\nlmdb-open-race-fix: lmdb was not rebuilt; its prebuilt binary stays in use and the store warns PROVQ_LMDB_UNFIXED at open`);
}
