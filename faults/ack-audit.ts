// Reads a recall child's acknowledgement log and checks it against the store: every pair a
// returned recall acknowledged must be stored exactly once, in order per record.
import { readFileSync } from 'node:fs';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { silentLogger } from '../src/log.js';

/** The counts of an audit (summed over runs). */
export interface AckCounts {
  /** Recalls whose return was logged. */
  acknowledgedRecalls: number;
  /** Pairs those recalls acknowledged. */
  acknowledged: number;
  durable: number;
  lost: number;
  /** Extra copies of any stored pair (acknowledged or not). */
  duplicated: number;
  /** A record's history going backwards (a later recall's entry stored before an earlier one's). */
  orderViolations: number;
  /** Pairs stored beyond the acknowledged ones (enqueued, not yet acknowledged when killed). */
  unacknowledgedStored: number;
}

export interface AckAudit extends AckCounts {
  /** The recall numbers of lost pairs (each once, ascending), and the last acknowledged recall: where in the run they were. */
  lostRecalls: number[];
  lastAcknowledged: number;
}

/** `<n> <id>,<id> [<unix ms>]` lines; a last line cut by the kill was never fully acknowledged and is ignored. */
export function readAckLog(path: string): Map<number, string[]> {
  const acks = new Map<number, string[]>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return acks;
  }
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a torn line
  for (const line of lines) {
    const [n, ids] = line.split(' ');
    acks.set(Number(n), ids ? ids.split(',') : []);
  }
  return acks;
}

/** Every (recordId, recall number) stored for cues `record <prefix><n>`, per record in stored order. */
export async function storedRecalls(storePath: string, prefix: string): Promise<Map<string, number[]>> {
  const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
  const cuePrefix = `record ${prefix}`;
  try {
    const out = new Map<string, number[]>();
    for (const { id } of store.historyCounts()) {
      const list: number[] = [];
      for (const e of (await store.get(id))?.provenance ?? []) {
        if (e.cue.startsWith(cuePrefix) && /^\d+$/.test(e.cue.slice(cuePrefix.length))) list.push(Number(e.cue.slice(cuePrefix.length)));
      }
      out.set(id, list);
    }
    return out;
  } finally {
    await store.close();
  }
}

export function auditAcks(acks: Map<number, string[]>, stored: Map<string, number[]>): AckAudit {
  const copies = new Map<string, number>();
  let orderViolations = 0;
  let duplicated = 0;
  for (const [id, list] of stored) {
    let last = -1;
    for (const n of list) {
      const key = `${id} ${n}`;
      const c = (copies.get(key) ?? 0) + 1;
      copies.set(key, c);
      if (c > 1) duplicated++;
      if (n < last) orderViolations++;
      last = Math.max(last, n);
    }
  }
  let acknowledged = 0;
  let lost = 0;
  const lostRecalls = new Set<number>();
  for (const [n, ids] of acks) {
    for (const id of ids) {
      acknowledged++;
      if (!copies.has(`${id} ${n}`)) {
        lost++;
        lostRecalls.add(n);
      }
    }
  }
  const unacknowledgedStored = [...copies.keys()].filter((k) => !acks.has(Number(k.split(' ')[1]))).length;
  let lastAcknowledged = -1;
  for (const n of acks.keys()) lastAcknowledged = Math.max(lastAcknowledged, n);
  return { acknowledgedRecalls: acks.size, acknowledged, durable: acknowledged - lost, lost, duplicated, orderViolations, unacknowledgedStored, lostRecalls: [...lostRecalls].sort((a, b) => a - b), lastAcknowledged };
}
