// Spill files made by hand, as an operator or another process would leave them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import type { ProvenancePair } from '../../src/schemas.js';
import type { SpillFileContent } from '../../src/spill/spill-reader.js';

/** Writes a queue-format spill file (entryIds included) holding `cues` for `recordId`. */
export async function writeQueueSpillFile(dir: string, recordId: string, cues: string[]): Promise<string> {
  const ids = reserveEntryIds(cues.length);
  const pairs: ProvenancePair[] = cues.map((cue, i) => [
    recordId,
    { ts: new Date().toISOString(), cue, sessionId: 's', entryId: formatEntryId(ids.ms, ids.seq0 + i) },
  ]);
  const [written] = await new SpillWriter(dir).append(pairs);
  return written!.name;
}

export function writeRawFile(dir: string, name: string, text: string | Buffer): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, name), text, { mode: 0o600 });
  return name;
}

export function handLine(recordId: string, cue: string): string {
  return JSON.stringify({ recordId, entry: { ts: new Date().toISOString(), cue, sessionId: 'hand' } });
}

/** `count` queue-format lines for r1 whose lengths vary, so some cross a 1 MiB read. */
export function manyLines(count: number): { text: string; cues: string[] } {
  const cues = Array.from({ length: count }, (_, i) => `c${i}-${'x'.repeat(200 + ((i * 7919) % 1800))}`);
  const ids = reserveEntryIds(count);
  const text = cues
    .map((cue, i) => {
      const entryId = formatEntryId(ids.ms, ids.seq0 + i);
      return `${JSON.stringify({ recordId: 'r1', entryId, entry: { ts: new Date().toISOString(), cue, sessionId: 's' } })}\n`;
    })
    .join('');
  return { text, cues };
}

/** The cues of a read's pairs, or the read itself when it holds none. */
export const cuesOf = (c: SpillFileContent) => (c.kind === 'pairs' ? c.pairs.map(([, e]) => e.cue) : c);

/**
 * A journal segment's lines as text: a live mapped segment is allocated whole, so its file
 * holds zeros after the lines written (journalDataEnd); those are left out.
 */
export function segmentBytes(path: string): Buffer {
  const bytes = readFileSync(path);
  const zeros = bytes.indexOf(0);
  return zeros === -1 ? bytes : bytes.subarray(0, zeros);
}

export const segmentText = (path: string): string => segmentBytes(path).toString('utf8');
