// provq stats --store PATH | --postgres URL [--record ID] [--json]: records, entries, per-record history.
import { parseArgs, statsArgsSchema } from '../args.js';
import { CommandError } from '../../errors.js';
import type { Io } from '../io.js';
import { openTargetStore } from '../open-store.js';
import { count } from '../plural.js';

const TOP = 10;

export async function statsCommand(raw: unknown, io: Io): Promise<number> {
  const args = parseArgs(statsArgsSchema, raw);
  const store = await openTargetStore(args);
  try {
    if (args.record !== undefined) {
      const rec = await store.get(args.record);
      if (!rec) throw new CommandError(`--record ${args.record}: no such record in ${store.label}; provq stats without --record lists the ids`);
      if (args.json) io.out(JSON.stringify(rec, null, 2));
      else {
        io.out(`record ${rec.id}: ${rec.text}`);
        io.out(`  ${count(rec.provenance.length, 'provenance entry', 'provenance entries')}, oldest first`);
        for (const e of rec.provenance) io.out(`  ${e.ts}  ${e.sessionId}  ${e.cue}`);
      }
      return 0;
    }
    const { records, entries } = await store.stats();
    const history = Array.from(await store.historyCounts()).sort((a, b) => b.entries - a.entries || (a.id < b.id ? -1 : 1));
    if (args.json) {
      io.out(JSON.stringify({ records, entries, history }, null, 2));
      return 0;
    }
    io.out(`store ${store.label}: ${count(records, 'record')}, ${count(entries, 'provenance entry', 'provenance entries')}`);
    if (history.length) io.out(`  most recalled${history.length > TOP ? ` (top ${TOP}; --json for all)` : ''}:`);
    for (const h of history.slice(0, TOP)) io.out(`  ${String(h.entries).padStart(8)}  ${h.id}`);
    return 0;
  } finally {
    await store.close();
  }
}
