// Child for file-caps.test.ts: a queue reads back a spill dir into a sink that only counts
// (ids kept as a Set, to show each pair once), then prints what it saw.
import { readdirSync } from 'node:fs';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair } from '../../src/schemas.js';

const spillDir = process.argv[2]!;
let applied = 0;
const ids = new Set<string>();
const sink = {
  appendProvenanceBatch(pairs: ProvenancePair[]) {
    applied += pairs.length;
    for (const [, e] of pairs) ids.add(e.entryId!);
  },
};
const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, durability: 'memory', idlePollMs: 50, exitHook: false });
q.start();
const idle = () => readdirSync(spillDir).filter((n) => n.endsWith('.jsonl')).length === 0;
while (!idle()) await new Promise((r) => setTimeout(r, 50));
await q.stop();
process.stdout.write(JSON.stringify({ applied, distinctIds: ids.size, left: readdirSync(spillDir).filter((n) => n.endsWith('.jsonl')) }));
