// What the read-back accepts from a spill file, byte by byte: a file is applied exactly as
// written or quarantined whole with its reason — never applied altered.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { readSpillFile } from '../../src/spill/spill-reader.js';
import { RecordingSink } from '../helpers/sinks.js';
import { handLine, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Starts a queue over `spillDir` and resolves with the first quarantine it reports. */
function firstQuarantine(sink: RecordingSink, spillDir: string): Promise<{ file: string; reason: string }> {
  const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, durability: 'memory', idlePollMs: 50 });
  const quarantined = new Promise<{ file: string; reason: string }>((resolve) => q.once('quarantined', resolve));
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  return quarantined;
}

describe('spill file contents', () => {
  // Checked: with the decoder made non-fatal (TextDecoder('utf-8') without { fatal: true }),
  // the line is applied with cue 'caf\uFFFD' and this fails.
  it('invalid UTF-8 in a spill file is quarantined, not applied with replacement characters', async () => {
    const dir = tempDir();
    // Valid JSON in every other respect: only the byte 0xff inside the cue is wrong.
    const [before, after] = handLine('r1', 'caf@').split('@') as [string, string];
    writeRawFile(dir, 'latin1.jsonl', Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(`${after}\n`)]));
    const sink = new RecordingSink();
    const q = await firstQuarantine(sink, dir);
    expect(q.file).toBe('latin1.jsonl');
    expect(q.reason).toMatch(/UTF-8/);
    expect(sink.pairs).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.startsWith('latin1.failed-') && n.endsWith('.jsonl'))).toHaveLength(1);
  });
});

describe('spill files read back into a real store', () => {
  // Checked: with the reader's id taken as `(line.entryId && entry.entryId) ?? derived` (the
  // line's own entryId ignored unless the entry repeats it), r1 holds every cue twice.
  it('a line that names its entryId is stored under it: a pair already stored under that id is not stored again', async () => {
    const path = tempDir();
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => store.close({ timeoutMs: 2000 }));
    await store.insert({ id: 'r1', text: 'x' });
    const ids = reserveEntryIds(3);
    const pairs: ProvenancePair[] = ['a', 'b', 'c'].map((cue, i) => [
      'r1',
      { ts: new Date().toISOString(), cue, sessionId: 's', entryId: formatEntryId(ids.ms, ids.seq0 + i) },
    ]);
    await store.appendProvenanceBatch(pairs); // stored once already, say by a crashed process
    // The same pairs in a spill file, the id on the line (as the format allows), not in the entry.
    const spillDir = join(path, 'provenance-overflow');
    const lines = pairs.map(([recordId, { entryId, ...entry }]) => JSON.stringify({ recordId, entryId, entry }));
    writeRawFile(spillDir, 'by-hand.jsonl', `${lines.join('\n')}\n`);
    const q = store.enableProvenanceQueue({ idlePollMs: 50, durability: 'memory' });
    expect(await until(() => !existsSync(join(spillDir, 'by-hand.jsonl')), 10_000)).toBe(true);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['a', 'b', 'c']);
    expect(q.stats().respooledPairs).toBe(3);
  });
});

describe('reading a spill file', () => {
  const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => handLine('r1', `c${from + i}`)).join('\n');

  // Checked: with the yield in judgedLines removed, only the turns spent waiting for the
  // file's reads are counted (513 of them here) and this fails.
  it('yields to the event loop while it parses: other work runs between slices of a big file', async () => {
    const dir = tempDir();
    const n = 20_000;
    writeRawFile(dir, 'big.jsonl', `${lines(0, n)}\n`);
    let ticks = 0;
    let reading = true;
    const tick = () => {
      ticks++;
      if (reading) setImmediate(tick);
    };
    setImmediate(tick);
    // sliceMs 0: every line uses up its slice, so the reader yields after each one.
    const content = await readSpillFile(join(dir, 'big.jsonl'), 'big.jsonl', { sliceMs: 0 });
    reading = false;
    expect(content.kind === 'pairs' && content.pairs.length).toBe(n);
    expect(ticks).toBeGreaterThanOrEqual(n); // at least one turn of the loop per line parsed
  });

  // Checked: with the piece of a line left at the end of a read kept as a view of the read
  // buffer (not copied), the next read overwrites it and the file is reported malformed.
  it('reads a file longer than its read buffer whose last line has no newline, every line once', async () => {
    const dir = tempDir();
    const n = 25_000; // about 2.3 MiB: three reads, the last shorter than the buffer
    writeRawFile(dir, 'long.jsonl', lines(0, n));
    const content = await readSpillFile(join(dir, 'long.jsonl'), 'long.jsonl');
    expect(content.kind).toBe('pairs');
    const cues = content.kind === 'pairs' ? content.pairs.map(([, e]) => e.cue) : [];
    expect(cues).toHaveLength(n);
    expect(new Set(cues).size).toBe(n);
    expect(cues[n - 1]).toBe(`c${n - 1}`);
  });
});
