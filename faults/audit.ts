// Reads a store after a workload and counts what was lost, doubled or reordered.
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { silentLogger } from '../src/log.js';

/** Every cue stored per record, in stored order. */
export async function readCues(storePath: string, records: number): Promise<Map<string, string[]>> {
  const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
  try {
    const out = new Map<string, string[]>();
    for (let r = 0; r < records; r++) {
      const rec = await store.get(`r${r}`);
      out.set(`r${r}`, rec ? rec.provenance.map((e) => e.cue) : []);
    }
    return out;
  } finally {
    await store.close();
  }
}

/**
 * For cues `<prefix><i>`: durable and lost count i in [0, expected) stored or not; duplicated counts
 * every extra copy of any i (also beyond expected: a pair nobody waited for must not be
 * doubled either); order counts a record's history going backwards.
 */
export function auditCues(cues: Map<string, string[]>, prefix: string, expected: number) {
  const seen = new Map<number, number>();
  let orderViolations = 0;
  for (const list of cues.values()) {
    let last = -1;
    for (const cue of list) {
      if (!cue.startsWith(prefix)) continue;
      const i = Number(cue.slice(prefix.length));
      seen.set(i, (seen.get(i) ?? 0) + 1);
      if (i < last) orderViolations++;
      last = i;
    }
  }
  let lost = 0;
  let duplicated = 0;
  for (let i = 0; i < expected; i++) if (!seen.has(i)) lost++;
  for (const n of seen.values()) if (n > 1) duplicated += n - 1;
  return { durable: expected - lost, lost, duplicated, orderViolations };
}
