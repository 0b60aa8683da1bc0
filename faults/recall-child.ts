// A recall loop in a child process, killed with -9 by the parent at a random moment. After
// each `await store.recall(...)` returns, the child appends to its own log, synchronously,
// which pairs that recall acknowledged, and when: `<n> <recordId>,<recordId>,... <unix ms>`. The parent then
// checks that every acknowledged pair is in the store exactly once after a restart.
//
//   node --import tsx faults/recall-child.ts '<json RecallChildConfig>'
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { silentLogger } from '../src/log.js';
import { listSpillDir } from '../src/spill/spill-dir.js';
import { JOURNAL_DIR_NAME } from '../src/store/store-layout.js';
import { isJournalSegmentName } from '../src/journal/journal-names.js';

export interface RecallChildConfig {
  storePath: string;
  /**
   * 'yield': a server's loop, each recall followed by a turn of the event loop;
   * 'spin': `for (;;) await store.recall(...)`, which never yields to the event loop;
   * 'drain': the restart: reads back what the dead process left, prints its stats, exits 0;
   * 'stall': `recalls` yielding recalls, then "stalling", the event loop blocked for
   * `stallMs`, then "resumed", and it waits to be killed.
   */
  mode: 'yield' | 'spin' | 'drain' | 'stall';
  stallMs?: number;
  /** Where the acknowledgements go (yield, spin). */
  ackLog?: string;
  durability?: 'journal' | 'memory';
  /** Cues are `<cuePrefix><n>`, so several processes' recalls can be told apart. */
  cuePrefix?: string;
  /** With 'yield': stop after this many recalls, close the store and exit 0 (default: run until killed). */
  recalls?: number;
}

/** A spinning child that was never killed (its parent died) gives up after this long. */
const SPIN_LIMIT_MS = 60_000;

/** The cue of recall n: the word `record` makes every record a hit (top 5 of them). */
export function recallCue(prefix: string, n: number): string {
  return `record ${prefix}${n}`;
}

async function main(cfg: RecallChildConfig): Promise<void> {
  const store = await LmdbMemoryStore.open({ path: cfg.storePath, logger: silentLogger });
  if (cfg.mode === 'drain') return drain(store);
  // The default options: only the durability mode (and a quiet logger) is chosen.
  const queue = store.enableProvenanceQueue({ logger: silentLogger, ...(cfg.durability ? { durability: cfg.durability } : {}) });
  const ack = openSync(cfg.ackLog!, 'a');
  const prefix = cfg.cuePrefix ?? '';
  const limit = cfg.recalls ?? Infinity;
  process.stdout.write('ready\n');
  if (cfg.mode === 'spin') {
    for (let n = 0; ; n++) {
      const hits = await store.recall({ cue: recallCue(prefix, n), sessionId: 's' });
      writeSync(ack, `${n} ${hits.map((h) => h.id).join(',')} ${Date.now()}\n`);
      // This loop never yields, so no timer can end it: it ends itself if orphaned or overdue.
      if (n % 1000 === 999 && (process.ppid === 1 || performance.now() > SPIN_LIMIT_MS)) process.exit(3);
    }
  }
  for (let n = 0; n < limit; n++) {
    const hits = await store.recall({ cue: recallCue(prefix, n), sessionId: 's' });
    writeSync(ack, `${n} ${hits.map((h) => h.id).join(',')} ${Date.now()}\n`);
    await new Promise((r) => setImmediate(r));
  }
  if (cfg.mode === 'stall') {
    process.stdout.write('stalling\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, cfg.stallMs ?? 0);
    process.stdout.write('resumed\n');
    setInterval(() => {}, 1 << 30);
    return;
  }
  await store.close();
  process.stdout.write(`${JSON.stringify(queue.stats())}\n`);
  reportIfStillAlive();
}

/** Closed, the process should end by itself: if it has not 20 s later, stderr says what holds it. */
function reportIfStillAlive(): void {
  setTimeout(() => process.stderr.write(`still alive 20 s after close: ${process.getActiveResourcesInfo().join(', ')}\n`), 20_000).unref();
}

/** Waits until no spill file and no journal segment is left, then closes and prints the stats. */
async function drain(store: LmdbMemoryStore): Promise<void> {
  const queue = store.enableProvenanceQueue({ logger: silentLogger, idlePollMs: 100 });
  const journalDir = join(store.path, JOURNAL_DIR_NAME);
  for (;;) {
    const spills = (await listSpillDir(queue.spillDir)).pending;
    const segments = (await listSpillDir(journalDir)).pending.filter(isJournalSegmentName);
    if (spills.length === 0 && segments.length === 0 && (await queue.flush(5000))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const stats = queue.stats();
  await store.close();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  reportIfStillAlive();
}

void main(JSON.parse(process.argv[2] ?? '{}') as RecallChildConfig);
