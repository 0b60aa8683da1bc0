// Harness for test/journal/journal-full-files.test.ts, run as a real child process from the
// sources. A store (records r0..r4, every one a hit of every recall) whose journal dir is a
// small tmpfs mounted by the test; the default queue options. Recall load, as a server's
// loop (each recall followed by a turn), in phases:
//   'fill':  a filler leaves `leaveBytes` of the tmpfs; recalls until a journal write fails
//            (ENOSPC);
//   'full':  `fullRecalls` more recalls on the full disk (each followed by `fullPauseMs`);
//   'back':  ('space-back') the filler removed, `backRecalls` more recalls;
//            ('space-back-idle') the filler removed, no recall: waits (up to 10 s) for the
//            journal to say its writes succeed again.
// The sink is held (`holdSink`: the store's writes never end, so the journal is every
// pair's only copy on disk and nothing in it is released) or works.
// After each phase it counts what the journal dir holds. Then it writes what it saw to
// `saidFile` — the pairs each recall acknowledged, per phase, and the counts — prints `said`
// and waits for the kill. Every recall listed returned before that: acknowledged.
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isJournalSegmentName } from '../../src/journal/journal-names.js';
import type { Logger } from '../../src/log.js';
import { OWNER_FILE } from '../../src/spill/dir-owner.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { fillBut } from '../helpers/fill-but.js';

export interface FullFilesConfig {
  storePath: string;
  /** Where it writes what it has to say (FullFilesSaid, JSON) before it prints `said`. */
  saidFile: string;
  scenario: 'full-at-kill' | 'space-back' | 'space-back-idle';
  holdSink: boolean;
  leaveBytes: number;
  fullRecalls: number;
  /** A pause after each recall on the full disk (0: the next turn), so the sink can catch up. */
  fullPauseMs: number;
  backRecalls: number;
  /** Characters added to each recall's cue (0: none): a recall's journal write grows with it. */
  cuePad: number;
}

export interface DirCount {
  segments: number;
  emptySegments: number;
  locks: number;
  other: number;
}

export interface FullFilesSaid {
  /** `<recordId> <key>` of every pair acknowledged, per phase (its cue: `record <key>`, padded). */
  acked: { fill: string[]; full: string[]; back: string[] };
  counts: { fill: DirCount; full: DirCount; back: DirCount | null; maxWhileFull: DirCount };
  /** Every journal segment name seen in the dir while the disk was full (looked after each recall). */
  segmentsSeenWhileFull: string[];
  journalErrors: number;
  /** From the filler's removal to the journal saying its writes succeed again (ms; null: not said). */
  backNoticedMs: number | null;
  /** The log's messages (info and up), in order. */
  said: string[];
}

const cfg = JSON.parse(process.argv[2]!) as FullFilesConfig;
const journalDir = join(cfg.storePath, JOURNAL_DIR_NAME);
const filler = join(journalDir, 'filler');

export function countDir(dir: string): DirCount {
  const c: DirCount = { segments: 0, emptySegments: 0, locks: 0, other: 0 };
  for (const name of readdirSync(dir)) {
    if (name === 'filler' || name === OWNER_FILE) continue; // the dir's owner mark (the store's)
    if (isJournalSegmentName(name)) {
      c.segments++;
      if (statSync(join(dir, name)).size === 0) c.emptySegments++;
    } else if (name.endsWith('.lock')) c.locks++;
    else c.other++;
  }
  return c;
}

const said: string[] = [];
const note = (_f: object, msg: string) => void said.push(msg);
const logger: Logger = { debug: () => {}, info: note, warn: note, error: note };

const store = await LmdbMemoryStore.open({ path: cfg.storePath, logger });
if (cfg.holdSink) store.appendProvenanceBatch = () => new Promise<void>(() => {}); // looked up at write time (the contract)
const queue = store.enableProvenanceQueue({ logger, exitHook: false });

let n = 0;
async function recall(into: string[]): Promise<void> {
  const key = `c${n++}`;
  const cue = `record ${key}${cfg.cuePad > 0 ? ` ${'p'.repeat(cfg.cuePad)}` : ''}`; // the word 'record': every record is a hit
  const hits = await store.recall({ cue, sessionId: 's' });
  for (const h of hits) into.push(`${h.id} ${key}`);
  await new Promise((r) => setImmediate(r));
}


const acked: FullFilesSaid['acked'] = { fill: [], full: [], back: [] };
fillBut(filler, cfg.leaveBytes);
while (queue.stats().journalErrors === 0) {
  if (n > 200_000) throw new Error('the journal never filled its disk');
  await recall(acked.fill);
}
const fill = countDir(journalDir);
const maxWhileFull = { ...fill };
const seen = new Set<string>();
for (let i = 0; i < cfg.fullRecalls; i++) {
  await recall(acked.full);
  if (cfg.fullPauseMs > 0) await new Promise((r) => setTimeout(r, cfg.fullPauseMs));
  for (const name of readdirSync(journalDir)) if (isJournalSegmentName(name)) seen.add(name);
  if (i % 25 === 0 || i === cfg.fullRecalls - 1) {
    const c = countDir(journalDir);
    for (const k of Object.keys(c) as (keyof DirCount)[]) maxWhileFull[k] = Math.max(maxWhileFull[k], c[k]);
  }
}
const full = countDir(journalDir);
let back: DirCount | null = null;
const BACK = 'journal writes succeed again; journaling the pairs not yet saved again';
let backNoticedMs: number | null = null;
if (cfg.scenario !== 'full-at-kill') {
  rmSync(filler);
  const freedAt = performance.now();
  if (cfg.scenario === 'space-back') for (let i = 0; i < cfg.backRecalls; i++) await recall(acked.back);
  const end = performance.now() + 10_000;
  while (cfg.scenario === 'space-back-idle' && !said.includes(BACK) && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
  if (said.includes(BACK)) backNoticedMs = Math.round(performance.now() - freedAt);
  back = countDir(journalDir);
}
const out: FullFilesSaid = { acked, counts: { fill, full, back, maxWhileFull }, segmentsSeenWhileFull: [...seen], journalErrors: queue.stats().journalErrors, backNoticedMs, said };
writeFileSync(cfg.saidFile, JSON.stringify(out));
process.stdout.write('said\n');
setInterval(() => {}, 60_000);
