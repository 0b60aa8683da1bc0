// Probe helper (not a row, session 11): a heap snapshot's live objects summed by kind
// (constructor, or V8's node type), biggest first. Usage:
// node --max-old-space-size=8000 --import tsx bench/probe-snapshot-summary.ts FILE.heapsnapshot
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const snap = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Snapshot;
const { node_fields: fields, node_types: nodeTypes } = snap.snapshot.meta;
const width = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');
const byKind = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = nodeTypes[0][snap.nodes[i + typeAt]!]!;
  const name = snap.strings[snap.nodes[i + nameAt]!]!;
  let kind = name;
  if (type.includes('string')) kind = '(string)';
  else if (type === 'closure') kind = '(closure)';
  else if (type !== 'object') kind = `(${type})${type === 'native' ? ` ${name.slice(0, 40)}` : ''}`;
  const bytes = snap.nodes[i + sizeAt]!;
  total += bytes;
  const k = byKind.get(kind) ?? { count: 0, bytes: 0 };
  k.count++;
  k.bytes += bytes;
  byKind.set(kind, k);
}
console.log(`total ${(total / 1e6).toFixed(1)} MB`);
for (const [kind, k] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 25)) {
  console.log(`${(k.bytes / 1e6).toFixed(2).padStart(8)} MB ${String(k.count).padStart(9)} ${kind}`);
}
