// The bytes of a journal segment: the spill format, exactly as `spillLine` writes each pair,
// whichever way the writer encoded a line (straight into its buffer, or through spillLine
// for a line with characters JSON escapes or UTF-8 writes in several bytes, or one larger
// than a write piece), in enqueue order — and the spill reader takes every line back.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import type { ProvenancePair, SpillLine } from '../../src/schemas.js';
import { parseSpillText } from '../../src/spill/spill-reader.js';
import { spillLine } from '../../src/spill/spill-writer.js';
import { RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { segmentBytes } from '../helpers/spill-files.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

function segmentsOf(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('-journal.jsonl'))
    .sort();
}

/** Pairs of every kind: mostly plain ASCII (the encoder's), some the general path's, a few repeating. */
function mixedPairs(count: number, bigEvery: number): ProvenancePair[] {
  // (A lone surrogate was one until enqueue refused them, 2026-12-01: a NUL is escaped by JSON too.)
  const odd = ['tea "green"', 'thé', 'line\u2028sep', 'nul \u0000', 'back\\slash', 'tab\there', '😀'];
  return Array.from({ length: count }, (_, i): ProvenancePair => {
    const cue = i % 5 === 4 ? odd[i % odd.length]! : `cue ${i}`;
    const entry: ProvenancePair[1] = { ts: '2026-11-30T13:46:32.832Z', cue, sessionId: i % 13 === 0 ? 'sessión' : 's1', rank: i % 10, score: 1 / (i + 1) };
    if (i % 11 === 0) entry.tags = ['a', 'é', { n: i }];
    if (i % bigEvery === bigEvery - 1) entry.pad = 'z'.repeat(300 * 1024); // larger than a write piece
    return [`r${i % 7}`, entry];
  });
}

/** Runs `turns` of pairs through a queue whose sink holds everything: the segments (name, bytes), read while they are all there, and the sink (given every pair once the queue stopped). */
async function journalOf(turns: ProvenancePair[][], journalSegmentBytes?: number): Promise<{ segs: [string, Buffer][]; sent: ProvenancePair[]; sink: RecordingSink }> {
  const journalDir = join(tempDir(), 'journal');
  const sink = new RecordingSink();
  sink.hold(); // nothing is saved: the journal keeps every pair
  const q = new ProvenanceWriteQueue(sink, { spillDir: tempDir(), journalDir, logger: silentLogger, exitHook: false, ...(journalSegmentBytes ? { journalSegmentBytes } : {}) });
  q.start();
  try {
    for (const t of turns) {
      q.enqueue(t);
      await nextTurn();
    }
    return { segs: segmentsOf(journalDir).map((n) => [n, segmentBytes(join(journalDir, n))]), sent: turns.flat(), sink };
  } finally {
    sink.release();
    await q.stop({ timeoutMs: 5000 });
  }
}

/** The bytes spillLine writes for the pairs sent, each with the entryId the journal gave it. */
function expectedBytes(sent: ProvenancePair[], written: string): string {
  const ids = written
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as SpillLine).entryId!);
  expect(ids).toHaveLength(sent.length);
  return sent.map(([r, e], i) => spillLine([r, { ...e, entryId: ids[i]! }])).join('');
}

describe('journal segment bytes', () => {
  // Checked: with the general path's `chunk.write(line, bytes)` written at offset 0, with the NO_ROOM retry not writing the full chunk first (`bytes`
  // reset without a write), or with the encoder's comma before a field left out, the bytes
  // differ; with encode always NOT_PLAIN the bytes are equal (the general path) but the
  // property test in test/spill/spill-line-encoder.test.ts fails.
  it('one turn larger than a write piece, plain and odd pairs mixed: spillLine’s bytes in enqueue order, and the reader takes them', async () => {
    const turn = mixedPairs(4000, 1500);
    const { segs, sent } = await journalOf([turn]);
    expect(segs).toHaveLength(1);
    const [name, bytes] = segs[0]!;
    expect(bytes.toString('utf8')).toBe(expectedBytes(sent, bytes.toString('utf8')));
    const read = parseSpillText(bytes, name);
    expect(read.kind === 'pairs' ? read.pairs.map(([, e]) => e.cue) : read).toEqual(sent.map(([, e]) => e.cue));
  });

  // Checked: with the fast path's NO_ROOM ignored at the segment's size (chunkCap made
  // CHUNK_BYTES), segments grow past journalSegmentBytes and this fails; with the general
  // path's `count++` dropped, the turn of no plain line is never written and this fails.
  it('small segments over many turns: each within journalSegmentBytes unless one line is larger, the whole still spillLine’s bytes', async () => {
    const turns = Array.from({ length: 30 }, (_, t) => mixedPairs(40, 1000).map(([r, e], i): ProvenancePair => [r, { ...e, cue: `${String(e.cue)} t${t}-${i}` }]));
    turns[10]![5]![1].pad = 'y'.repeat(6000); // larger than a segment: one of its own
    turns[20] = turns[20]!.map(([r, e]) => [r, { ...e, cue: `only the general path: ${String(e.cue)} "quoted"` }]); // a turn of no plain line
    const { segs, sent } = await journalOf(turns, 4096);
    expect(segs.length).toBeGreaterThan(10);
    expect(segs.filter(([, b]) => b.length > 4096)).toHaveLength(1);
    const text = segs.map(([, b]) => b.toString('utf8')).join('');
    expect(text).toBe(expectedBytes(sent, text));
  });

  // Checked: with the encoder's line-level id left out (its ENTRY_ID bytes and the id not
  // written), the plain lines read back with ids derived from the file; with the reader no
  // longer setting the line's id on the entry, they read back with none; with the entry
  // written whole by both writers (its id in it too, the format before session 8), every
  // line holds its id twice.
  it('a segment round-trips every entry id exactly: read back, each pair is the one the sink got, its id written once', async () => {
    const { segs, sink } = await journalOf([mixedPairs(3000, 1000)]);
    const lines = segs.flatMap(([, b]) => b.toString('utf8').split('\n').filter((l) => l !== ''));
    const readBack = segs.flatMap(([name, bytes]) => {
      const content = parseSpillText(bytes, name);
      return content.kind === 'pairs' ? content.pairs : [];
    });
    const delivered = sink.pairs;
    expect(delivered).toHaveLength(3000);
    expect(readBack.map((p) => JSON.stringify(p))).toEqual(delivered.map((p) => JSON.stringify(p))); // ids, fields, key order
    expect(lines.map((l, i) => l.split(`"${delivered[i]![1].entryId!}"`).length - 1)).toEqual(delivered.map(() => 1));
  });
});
