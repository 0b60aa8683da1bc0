// Probe (not a row, session 11): does LMDB keep a write transaction's dirty pages after it
// commits? One transaction of N MB of new values, then small ones; anonymous RSS and
// malloc's brk heap before and after (run with MALLOC_ARENA_MAX=1 so lmdb's writer thread
// mallocs from [heap]). Usage: node --import tsx bench/probe-lmdb-dirty.ts DIR MB
import { join } from 'node:path';
import { open } from 'lmdb';
import { anonByKind, rssAnonBytes } from './probe-memory.js';

const [dir, mbArg] = process.argv.slice(2);
const mb = Number(mbArg ?? 32);
const db = open({ path: join(dir!, 'x.mdb'), overlappingSync: false });
const mem = (what: string) => {
  const { brkHeap } = anonByKind();
  console.log(JSON.stringify({ what, anonMB: +(rssAnonBytes() / 1e6).toFixed(1), brkHeapMB: +(brkHeap / 1e6).toFixed(1) }));
};
await db.put('warm', 'x');
mem('after a 1-put transaction');
const value = Buffer.alloc(100, 7);
// About 150 bytes a pair on its pages: N MB of dirty leaf pages in one transaction.
const puts = Math.round((mb * 1e6) / 150);
await db.transaction(() => {
  for (let i = 0; i < puts; i++) db.put(`k${String(i).padStart(10, '0')}`, value);
});
mem(`after one transaction of ${puts} puts (${mb} MB of pages)`);
for (let i = 0; i < 20; i++) await db.put(`small${i}`, value);
mem('after 20 more 1-put transactions');
await db.close();
mem('after close');
