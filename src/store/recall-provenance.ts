// What every store's recall does after ranking: one provenance entry per hit, handed to the
// running queue (recall does not wait) or written through the sync fallback (it does).
import type { ProvenancePair, RecallQuery } from '../schemas.js';
import type { QueueToggle } from './queue-toggle.js';

type ParsedQuery = Required<Pick<RecallQuery, 'cue' | 'sessionId'>>;

/** The pairs a recall records: `{ ts, cue, sessionId, rank, score }` per hit, in rank order. */
export function recallPairs(hits: readonly { id: string; score: number }[], query: ParsedQuery): ProvenancePair[] {
  const ts = new Date().toISOString();
  return hits.map(({ id, score }, rank) => [id, { ts, cue: query.cue, sessionId: query.sessionId, rank, score }]);
}

/**
 * Reads the queue at write time, so a toggle between search and write picks one path, never
 * both; a queue someone stopped directly falls back to the sync path too.
 */
export async function recordRecall(
  toggle: QueueToggle,
  pairs: ProvenancePair[],
  writeThrough: (pairs: ProvenancePair[]) => Promise<unknown>,
): Promise<void> {
  if (pairs.length === 0) return;
  const queue = toggle.current;
  if (queue?.running) queue.enqueueOwned(pairs);
  else await writeThrough(pairs);
}
