// A child for mapped-crash.test.ts: copies into a mapped page that the file no longer backs
// (cut to 0 bytes under the mapping), which the kernel answers with SIGBUS. Prints what the
// copy did; then copies 1,165 bytes across the end of a file of two pages (the first 600
// land in the file, the rest on a page it does not back) and prints how many of those 600
// bytes the copy stored before it failed: all of them when it stores in address order, as a
// kill -9 must find it (a prefix); then "alive".
// Given { path, sent: true } instead, it first sends itself SIGBUS (as `kill -BUS` would),
// which must end it as it ends a process without the journal's map; "survived" otherwise.
//   node --import tsx test/journal/sigbus-child.ts '"<path of a new file>"'
import { ftruncateSync, openSync, readSync } from 'node:fs';
import { installedJournalMap } from '../../src/journal/journal-map.js';

const cfg = JSON.parse(process.argv[2]!) as string | { path: string; sent: boolean };
const path = typeof cfg === 'string' ? cfg : cfg.path;
const state = installedJournalMap();
if (state.kind !== 'loaded') {
  process.stdout.write(`not loaded: ${JSON.stringify(state)}\n`);
  process.exit(2);
}
const m = state.map;
if (typeof cfg === 'object' && cfg.sent) {
  process.kill(process.pid, 'SIGBUS'); // a signal sent to itself is delivered before kill() returns
  process.stdout.write('survived\n');
  process.exit(0);
}
const fd = openSync(path, 'w+', 0o600);
m.allocate(fd, 65536);
const h = m.map(fd, 65536);
m.copy(h, 0, Buffer.from('before\n'));
ftruncateSync(fd, 0);
try {
  m.copy(h, 8192, Buffer.from('after\n'));
  process.stdout.write('copied\n');
} catch (err) {
  process.stdout.write(`error ${(err as NodeJS.ErrnoException).code} ${(err as NodeJS.ErrnoException).syscall}\n`);
}
m.unmap(h);

const fd2 = openSync(`${path}-2`, 'w+', 0o600);
m.allocate(fd2, 8192);
const h2 = m.map(fd2, 12288);
try {
  m.copy(h2, 8192 - 600, Buffer.alloc(1165, 'x'));
  process.stdout.write('copied\n');
} catch (err) {
  const head = Buffer.alloc(600);
  readSync(fd2, head, 0, 600, 8192 - 600);
  process.stdout.write(`stored ${head.filter((b) => b === 0x78).length} of 600 before ${(err as NodeJS.ErrnoException).code}\n`);
}
m.unmap(h2);
process.stdout.write('alive\n');
