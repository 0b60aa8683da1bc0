// A child for mapped-crash.test.ts: copies into a mapped page that the file no longer backs
// (cut to 0 bytes under the mapping), which the kernel answers with SIGBUS. Prints what the
// copy did, then "alive".
//   node --import tsx test/journal/sigbus-child.ts '"<path of a new file>"'
import { ftruncateSync, openSync } from 'node:fs';
import { installedJournalMap } from '../../src/journal/journal-map.js';

const path = JSON.parse(process.argv[2]!) as string;
const state = installedJournalMap();
if (state.kind !== 'loaded') {
  process.stdout.write(`not loaded: ${JSON.stringify(state)}\n`);
  process.exit(2);
}
const m = state.map;
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
process.stdout.write('alive\n');
