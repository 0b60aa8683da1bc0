// Harness for test/journal/journal-disk-full.test.ts, run as a real child process from the
// sources (so it runs StrykerJS's mutant too). A store whose journal dir is a small tmpfs
// (mounted there by the test); the store's writes are held, so the journal is every pair's
// only copy on disk. Each step ends with its enqueue turn (the pairs acknowledged):
//   a0..a9 journaled; their sink call starts (and is held);
//   the tmpfs filled but `leaveBytes`; b0..b19 (~1 KB each, one journal write) — the write is
//   cut short by ENOSPC, mid-line;
//   'space-back': c0..c4 while the disk is still full, the filler removed, d0..d9;
//   'full-at-kill': the a's call let through (the a's saved), the disk still full.
// Then it prints one JSON line — the cues acknowledged, the cues whose lines were whole in
// the journal right after the cut, whether a torn line was there — and waits for the kill.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isJournalSegmentName } from '../../src/journal/journal-names.js';
import { silentLogger } from '../../src/log.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { fillBut } from '../helpers/fill-but.js';

const cfg = JSON.parse(process.argv[2]!) as { storePath: string; scenario: 'space-back' | 'full-at-kill'; leaveBytes: number };
const journalDir = join(cfg.storePath, JOURNAL_DIR_NAME);
const filler = join(journalDir, 'filler');

const turn = () => new Promise<void>((r) => setImmediate(r));
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

const store = await LmdbMemoryStore.open({ path: cfg.storePath, logger: silentLogger });
const write = store.appendProvenanceBatch.bind(store);
const calls: string[][] = [];
let letAsThrough: () => void = () => {};
const asMayGo = new Promise<void>((r) => (letAsThrough = r));
// Looked up at write time by the store's queue (the contract): every call is held, but the
// a's in 'full-at-kill', which go once the cut write was seen.
store.appendProvenanceBatch = async (pairs, context) => {
  const cues = pairs.map(([, e]) => e.cue);
  calls.push(cues);
  if (cfg.scenario === 'full-at-kill' && cues.every((c) => c.startsWith('a'))) await asMayGo;
  else await new Promise<void>(() => {});
  return write(pairs, context);
};
const queue = store.enableProvenanceQueue({ logger: silentLogger, coalesceMs: 0, sinkTimeoutMs: 0, exitHook: false });

const acknowledged: string[] = [];
async function enqueue(prefix: string, n: number, padBytes = 0): Promise<void> {
  const pairs: ProvenancePair[] = [];
  for (let i = 0; i < n; i++) pairs.push(['r1', { ts: new Date().toISOString(), cue: `${prefix}${i}`, sessionId: 's', ...(padBytes ? { pad: 'p'.repeat(padBytes + 7 * i) } : {}) }]);
  queue.enqueue(pairs);
  await turn();
  acknowledged.push(...pairs.map(([, e]) => e.cue));
}

/** The cues of every whole line in the journal's segments, and whether some segment ends in a cut line. */
function journalNow(): { whole: string[]; torn: boolean } {
  const whole: string[] = [];
  let torn = false;
  for (const name of readdirSync(journalDir).filter(isJournalSegmentName)) {
    const text = readFileSync(join(journalDir, name), 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) torn = true;
    for (const line of text.split('\n').slice(0, -1)) whole.push((JSON.parse(line) as { entry: { cue: string } }).entry.cue);
  }
  return { whole, torn };
}


await enqueue('a', 10);
await until(() => calls.length > 0);
fillBut(filler, cfg.leaveBytes);
await enqueue('b', 20, 1000);
const afterCut = journalNow();
const errorsAtCut = queue.stats().journalErrors;
if (cfg.scenario === 'space-back') {
  await enqueue('c', 5);
  rmSync(filler);
  await enqueue('d', 10);
} else {
  letAsThrough();
  await until(() => queue.stats().writtenPairs >= 10);
  await turn(); // the frontier moved: the journal released what it may
}
process.stdout.write(`${JSON.stringify({ acknowledged, wholeAfterCut: afterCut.whole, tornAfterCut: afterCut.torn, errorsAtCut, journalErrors: queue.stats().journalErrors })}\n`);
setInterval(() => {}, 60_000);
