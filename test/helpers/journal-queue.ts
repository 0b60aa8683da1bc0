// A queue with the journal in front of a sink held closed, and what its segments hold:
// shared by the tests of how enqueue reads a caller's batch (journal-input*, overflow-input-reentry).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenanceEntry, ProvenancePair, SpillLine } from '../../src/schemas.js';
import { spillLine } from '../../src/spill/spill-writer.js';
import { RecordingSink } from './sinks.js';
import { segmentText } from './spill-files.js';
import { tempDir } from './temp.js';

export const TS = '2026-12-01T18:00:00.000Z';

/** A started queue with the journal whose sink holds every pair until released; stopped by `cleanups`. */
export function heldJournalQueue(cleanups: (() => unknown)[], opts: { maxQueueSize?: number } = {}) {
  const sink = new RecordingSink();
  sink.hold();
  const journalDir = join(tempDir(), 'journal');
  const q = new ProvenanceWriteQueue(sink, { spillDir: join(tempDir(), 'spill'), journalDir, logger: silentLogger, exitHook: false, ...opts });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 5000 }), () => sink.release());
  return { sink, q, journalDir };
}

/** Every line of the journal's segments, oldest segment first. */
export function journalLines(journalDir: string): string[] {
  return readdirSync(journalDir)
    .filter((n) => n.endsWith('-journal.jsonl'))
    .sort()
    .flatMap((n) => segmentText(join(journalDir, n)).split('\n').filter((l) => l !== ''));
}

/** An entry whose cue getter runs `effect` on its first read. */
export function withGetter(cue: string, effect: () => void): ProvenanceEntry {
  let fired = false;
  const e = { ts: TS, sessionId: 's1' } as Record<string, unknown>;
  Object.defineProperty(e, 'cue', {
    enumerable: true,
    get: () => {
      if (!fired) {
        fired = true;
        effect();
      }
      return cue;
    },
  });
  return e as unknown as ProvenanceEntry;
}

/** The journal holds each of `cues` once, each line spillLine's for its pair, with distinct ids. */
export function expectJournaledOnce(journalDir: string, cues: string[]): Map<string, string> {
  const lines = journalLines(journalDir);
  const parsed = lines.map((l) => JSON.parse(l) as SpillLine); // a torn or overwritten line throws here
  expect(parsed.map((l) => l.entry.cue).sort()).toEqual([...cues].sort());
  // Distinct sequences, not only ids (an id's millisecond could tell two apart that share one).
  expect(new Set(parsed.map((l) => l.entryId!.slice(l.entryId!.lastIndexOf('-')))).size).toBe(parsed.length);
  for (const [k, l] of parsed.entries()) expect(lines[k]! + '\n').toBe(spillLine([l.recordId, { ...l.entry, entryId: l.entryId! }]));
  return new Map(parsed.map((l) => [l.entry.cue, l.entryId!]));
}

/** A pair of the common shape (ts, cue, sessionId). */
export const plain = (r: string, cue: string): ProvenancePair => [r, { ts: TS, cue, sessionId: 's1' }];
