// Spill files made by hand, as an operator or another process would leave them.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import type { ProvenancePair } from '../../src/schemas.js';

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
