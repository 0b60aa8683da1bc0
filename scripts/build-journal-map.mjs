#!/usr/bin/env node
// Builds the journal's memory map (native/journal-map: a Node-API addon of one C file) at
// install, the way scripts/lmdb-open-race-fix.mjs builds lmdb: node-gyp against Node's own
// headers. Node-API is ABI-stable: the build works for every Node version >= 20.
//
// It never fails the install: without the addon the journal writes each turn with write(2)
// (as safe; slower where syscalls flush the TLB) and the queue logs PROVQ_JOURNAL_UNMAPPED.
//   node scripts/build-journal-map.mjs
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const addonDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'journal-map');
const binary = join(addonDir, 'build', 'Release', 'provq_journal_map.node');

function main() {
  if (process.platform !== 'linux') {
    console.log(`build-journal-map: the mapped journal is built for Linux only (this is ${process.platform}); the journal uses write(2)`);
    return;
  }
  const nodeGyp = process.env.npm_config_node_gyp ?? join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  const headers = join(dirname(process.execPath), '..');
  const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(headers, 'include/node/node_api.h')) ? headers : undefined);
  const gypArgs = [nodeGyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  console.log(`build-journal-map: building the journal's memory map: node ${gypArgs.join(' ')}`);
  const built = spawnSync(process.execPath, gypArgs, { cwd: addonDir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 2 ** 20 });
  if (built.status !== 0 || !existsSync(binary)) {
    process.stderr.write(`${built.stdout ?? ''}${built.stderr ?? ''}`.split('\n').slice(-40).join('\n'));
    console.error(`build-journal-map: the build failed (exit ${built.status}); the journal writes with write(2) and the queue warns PROVQ_JOURNAL_UNMAPPED. Install python3, make and a C compiler, then run: node node_modules/provenance-queue/scripts/build-journal-map.mjs`);
    return;
  }
  console.log(`build-journal-map: built ${binary}`);
}

try {
  main();
} catch (err) {
  console.error(`build-journal-map: ${err.message}; the journal writes with write(2) and the queue warns PROVQ_JOURNAL_UNMAPPED`);
}
