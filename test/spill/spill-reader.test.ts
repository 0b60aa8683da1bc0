// What the read-back accepts from a spill file, byte by byte: a file is applied exactly as
// written or quarantined whole with its reason — never applied altered.
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SpillFileChangedError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { derivedEntryId, formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { MAX_SPILL_LINE_BYTES, parseSpillText, readSpillChunks, readSpillFile, scanSpillFile } from '../../src/spill/spill-reader.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { SYNC_READ_MAX_BYTES } from '../../src/spill/small-spill-file.js';
import { RecordingSink } from '../helpers/sinks.js';
import { cuesOf, handLine, manyLines, writeRawFile } from '../helpers/spill-files.js';
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

  // Checked: with provenanceEntrySchema's own-key check taken out, JSON.parse's __proto__
  // field was dropped by the schema and the line applied without it; this fails.
  it("an entry with a key named __proto__ is quarantined, not applied without that field", async () => {
    const dir = tempDir();
    const line = handLine('r1', 'c').replace('"sessionId":"hand"', '"sessionId":"hand","__proto__":{"admin":true}');
    writeRawFile(dir, 'proto.jsonl', Buffer.from(`${line}\n`));
    const sink = new RecordingSink();
    const q = await firstQuarantine(sink, dir);
    expect(q.file).toBe('proto.jsonl');
    expect(q.reason).toMatch(/__proto__/);
    expect(sink.pairs).toEqual([]);
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
    expect(await until(() => !existsSync(join(spillDir, 'by-hand.jsonl')), 30_000)).toBe(true);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['a', 'b', 'c']);
    expect(q.stats().respooledPairs).toBe(3);
  });
});

describe('the entry id of a line, in each format the reader takes', () => {
  const ts = '2026-11-30T12:00:00.000Z';
  const idA = '1796000000000-abc1234-0000000001';
  const idB = '1796000000000-abc1234-0000000002';
  const entryOf = (content: ReturnType<typeof parseSpillText>, i: number) => (content.kind === 'pairs' ? content.pairs[i]![1] : content);

  // Checked: with the line's id taken after the entry's (`entry.entryId ?? line.entryId`),
  // line 2 gets idB; with the entry's ignored (`line.entryId ?? derived`), line 3 gets a
  // derived id; with the id no longer set on the entry (`return [recordId, entry]` alone),
  // lines 1 and 4 have none.
  it('the line’s id (the one the queue writes), else the entry’s (files before session 8 and by hand), else one derived from the line', () => {
    const text = [
      { recordId: 'r1', entryId: idA, entry: { ts, cue: 'the queue’s format: the id on the line only', sessionId: 's' } },
      { recordId: 'r1', entryId: idA, entry: { ts, cue: 'both, differing: the line wins', sessionId: 's', entryId: idB } },
      { recordId: 'r1', entry: { ts, cue: 'in the entry only', sessionId: 's', entryId: idB } },
      { recordId: 'r1', entry: { ts, cue: 'none', sessionId: 's' } },
    ]
      .map((l) => `${JSON.stringify(l)}\n`)
      .join('');
    const content = parseSpillText(Buffer.from(text), 'hand.jsonl');
    expect(entryOf(content, 0)).toEqual({ ts, cue: 'the queue’s format: the id on the line only', sessionId: 's', entryId: idA });
    expect(entryOf(content, 1)).toEqual({ ts, cue: 'both, differing: the line wins', sessionId: 's', entryId: idA });
    expect(entryOf(content, 2)).toEqual({ ts, cue: 'in the entry only', sessionId: 's', entryId: idB });
    expect(entryOf(content, 3)).toEqual({ ts, cue: 'none', sessionId: 's', entryId: derivedEntryId('hand.jsonl', 4, ts) });
  });
});

describe('a spill file of the format before session 8 (the id on the line and again in the entry)', () => {
  // Checked: with the reader taking neither id (`derivedEntryId(…)` alone), 'a', stored
  // already under its id, is stored a second time and this fails.
  it('reads back into a real store exactly once: a pair stored already under its id is not stored again', async () => {
    const path = tempDir();
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => store.close({ timeoutMs: 2000 }));
    await store.insert({ id: 'r1', text: 'x' });
    const ids = reserveEntryIds(3);
    const pairs: ProvenancePair[] = ['a', 'b', 'c'].map((cue, i) => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's', entryId: formatEntryId(ids.ms, ids.seq0 + i) }]);
    await store.appendProvenanceBatch(pairs.slice(0, 1)); // stored by a process that crashed before deleting its file
    const spillDir = join(path, 'provenance-overflow');
    writeRawFile(spillDir, 'old-format.jsonl', pairs.map(([recordId, entry]) => `${JSON.stringify({ recordId, entryId: entry.entryId, entry })}\n`).join(''));
    const q = store.enableProvenanceQueue({ idlePollMs: 50, durability: 'memory' });
    expect(await until(() => !existsSync(join(spillDir, 'old-format.jsonl')), 30_000)).toBe(true);
    const stored = (await store.get('r1'))!.provenance;
    expect(stored.map((e) => [e.cue, e.entryId])).toEqual(pairs.map(([, e]) => [e.cue, e.entryId]));
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
    // sliceMs 0: every line uses up its slice, so the reader yields after each one.
    const { result: content, ticks } = await countingTurns(() => readSpillFile(join(dir, 'big.jsonl'), 'big.jsonl', { sliceMs: 0 }));
    expect(content.kind === 'pairs' && content.pairs.length).toBe(n);
    expect(ticks).toBeGreaterThanOrEqual(n); // at least one turn of the loop per line parsed
  });

  // Checked: with the yield in parseSpillBytes removed (small-spill-file.ts), the file is
  // parsed in the turn that read it, 1 tick is counted, and this fails.
  it('a small file, read whole with synchronous calls, is parsed in slices too', async () => {
    const dir = tempDir();
    const n = 1000;
    writeRawFile(dir, 'small.jsonl', `${lines(0, n)}\n`);
    expect(statSync(join(dir, 'small.jsonl')).size).toBeLessThan(SYNC_READ_MAX_BYTES); // the whole-file path, not the streaming one
    const { result: content, ticks } = await countingTurns(() => readSpillFile(join(dir, 'small.jsonl'), 'small.jsonl', { sliceMs: 0 }));
    expect(content.kind === 'pairs' && content.pairs.map(([, e]) => e.cue)).toEqual(Array.from({ length: n }, (_, i) => `c${i}`));
    expect(ticks).toBeGreaterThanOrEqual(n);
  });

  // Checked: with O_NONBLOCK taken out of the whole-file open (small-spill-file.ts), or out
  // of the streaming open (spill-reader.ts, what scanSpillFile uses), the child's open of
  // the FIFO waits for a writer that never comes, it is killed at the timeout, and this
  // fails. Run in a child: a blocked open would hold this test's thread.
  it('a FIFO named *.jsonl is refused as not a regular file; opening it does not wait for a writer', () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    const reader = pathToFileURL(join(process.cwd(), 'dist/spill/spill-reader.js')).href;
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(reader)}); console.log(JSON.stringify([await m.readSpillFile(${JSON.stringify(fifo)}, 'pipe.jsonl'), await m.scanSpillFile(${JSON.stringify(fifo)}, 'pipe.jsonl')]));`],
      { timeout: 10_000, encoding: 'utf8' },
    );
    const notAFile = { kind: 'not-a-file', reason: 'is not a regular file' };
    expect(JSON.parse(out)).toEqual([notAFile, notAFile]);
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

describe('reading a spill file, line by line', () => {
  // Checked: with the partial line not carried into the next read (`partial.push` dropped),
  // the file reads as malformed; with `start = end + 1` made `start = end`, the read never
  // ends. (Checked on the reader before LoopSlices; the stale-buffer case it also caught is
  // gone since reads are searched only up to bytesRead.)
  it('a file of 3 MiB is read whole, every pair once and in order, lines crossing each 1 MiB read included', async () => {
    const dir = tempDir();
    const { text, cues } = manyLines(2600);
    expect(Buffer.byteLength(text)).toBeGreaterThan(2.5 * 1024 * 1024);
    writeRawFile(dir, 'big.jsonl', text);
    expect(cuesOf(await readSpillFile(join(dir, 'big.jsonl'), 'big.jsonl'))).toEqual(cues);
    expect(cuesOf(parseSpillText(readFileSync(join(dir, 'big.jsonl')), 'big.jsonl'))).toEqual(cues);
  });

  // Checked: with `chunk.length >= chunkPairs` made `>`, the chunks hold 1,001 pairs; with
  // the last chunk not yielded (`chunk.length > 0` made `< 0`), 600 pairs are missing; with
  // it made true, an empty chunk follows the two full ones.
  it('is handed over in chunks of the size asked for, the last one holding the rest', async () => {
    const dir = tempDir();
    const { text, cues } = manyLines(2600);
    writeRawFile(dir, 'big.jsonl', text);
    const path = join(dir, 'big.jsonl');
    const scan = await scanSpillFile(path, 'big.jsonl');
    expect(scan).toMatchObject({ kind: 'pairs', pairs: 2600 });
    const chunks: number[] = [];
    const read: string[] = [];
    for await (const chunk of readSpillChunks(path, 'big.jsonl', 1000, (scan as { version: string }).version)) {
      chunks.push(chunk.length);
      read.push(...chunk.map(([, e]) => e.cue));
    }
    expect(chunks).toEqual([1000, 1000, 600]);
    expect(read).toEqual(cues);
    // A file of exactly two chunks: no empty third call.
    const exact: number[] = [];
    for await (const chunk of readSpillChunks(path, 'big.jsonl', 1300, (scan as { version: string }).version)) exact.push(chunk.length);
    expect(exact).toEqual([1300, 1300]);
  });

  // Checked: with the line counter counting down (`lineNo++` made `lineNo--`), the reason
  // names another line and this fails.
  it('names a bad line by its number, blank lines and lines past the first MiB counted', async () => {
    const dir = tempDir();
    writeRawFile(dir, 'gap.jsonl', `${handLine('r1', 'a')}\n   \n{"recordId": oops}\n`);
    expect(await readSpillFile(join(dir, 'gap.jsonl'), 'gap.jsonl')).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^line 3: not JSON/) });
    const { text } = manyLines(2600);
    writeRawFile(dir, 'late.jsonl', `${text}${handLine('r1', 'ok')}\n{"recordId":"r1"}\n`);
    expect(await readSpillFile(join(dir, 'late.jsonl'), 'late.jsonl')).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^line 2602: /) });
  });

  // Checked: with the version compared never (`opened.version !== version` made false), the
  // file is read as it is now and the line added after the scan comes back.
  it('a file that changed after it was validated is not applied: it is read again later', async () => {
    const dir = tempDir();
    writeRawFile(dir, 'grows.jsonl', `${handLine('r1', 'a')}\n`);
    const path = join(dir, 'grows.jsonl');
    const scan = await scanSpillFile(path, 'grows.jsonl');
    appendFileSync(path, `${handLine('r1', 'added later')}\n`);
    const reading = readSpillChunks(path, 'grows.jsonl', 10, (scan as { version: string }).version).next();
    await expect(reading).rejects.toThrow(SpillFileChangedError);
    await expect(readSpillChunks(path, 'grows.jsonl', 10, (scan as { version: string }).version).next()).rejects.toThrow(/changed while it was being read back; it is read again/);
  });

  // Checked: with the cut line's UTF-8 error not treated as a tear (`!terminated &&
  // dropTornTail` made false in the decode branch), the segment is malformed; with it made
  // true, the bad line inside the segment is dropped instead of quarantining the segment;
  // with `!terminated` dropped from the JSON branch, the cut line inside (mid2) is dropped;
  // with parseSpillText calling every line terminated, its torn tail is malformed.
  it('a journal segment cut inside a character: the torn last line is dropped and counted, a bad line inside is not', async () => {
    const dir = tempDir();
    const { text, cues } = manyLines(3);
    const cut = Buffer.concat([Buffer.from(`${text}{"recordId":"r1","entry":{"cue":"caf`), Buffer.from([0xc3])]);
    writeRawFile(dir, 'seg.jsonl', cut);
    const torn = await readSpillFile(join(dir, 'seg.jsonl'), 'seg.jsonl', { dropTornTail: true });
    expect(torn).toMatchObject({ kind: 'pairs', tornLines: 1 });
    expect(cuesOf(torn)).toEqual(cues);
    expect(parseSpillText(cut, 'seg.jsonl', { dropTornTail: true })).toMatchObject({ kind: 'pairs', tornLines: 1 });
    // The same bytes in a spill file (not a dead writer's segment) are a bad last line.
    expect(await readSpillFile(join(dir, 'seg.jsonl'), 'seg.jsonl')).toMatchObject({ kind: 'malformed', reason: 'line 4: not valid UTF-8 text' });
    // Inside the segment (a newline follows) the same line is damage, not a tear.
    writeRawFile(dir, 'mid.jsonl', Buffer.concat([cut, Buffer.from(`\n${handLine('r1', 'after')}\n`)]));
    expect(await readSpillFile(join(dir, 'mid.jsonl'), 'mid.jsonl', { dropTornTail: true })).toMatchObject({ kind: 'malformed', reason: 'line 4: not valid UTF-8 text' });
    writeRawFile(dir, 'mid2.jsonl', `${text}{"recordId":"r1","en\n${handLine('r1', 'after')}\n`);
    expect(await readSpillFile(join(dir, 'mid2.jsonl'), 'mid2.jsonl', { dropTornTail: true })).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^line 4: not JSON/) });
  });

  // Checked: with `terminated ? '' : 'truncated or '` swapped, the reasons say the opposite
  // and this fails.
  it('a last line without a newline is applied when it is whole, and named as maybe truncated when it is not', async () => {
    const dir = tempDir();
    writeRawFile(dir, 'whole.jsonl', `${handLine('r1', 'a')}\n${handLine('r1', 'b')}`);
    const whole = await readSpillFile(join(dir, 'whole.jsonl'), 'whole.jsonl', { dropTornTail: true });
    expect(cuesOf(whole)).toEqual(['a', 'b']);
    expect(whole).not.toHaveProperty('tornLines');
    writeRawFile(dir, 'cut.jsonl', `${handLine('r1', 'a')}\n{"recordId":"r1","en`);
    expect(await readSpillFile(join(dir, 'cut.jsonl'), 'cut.jsonl')).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^line 2: truncated or not JSON/) });
    writeRawFile(dir, 'bad.jsonl', `{"recordId":"r1","en\n${handLine('r1', 'a')}\n`);
    expect(await readSpillFile(join(dir, 'bad.jsonl'), 'bad.jsonl')).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^line 1: not JSON/) });
  });

  // Checked: with the ELOOP and ENOENT branches of open() removed in turn, the symlink and
  // the missing file throw instead; with the isFile() check made false, the directory is read
  // (and throws EISDIR). (Linux opens a directory O_RDONLY without EISDIR: that branch is
  // not reached here.)
  it('never follows a symlink, never reads a directory, and reads a file gone meanwhile as gone', async () => {
    const dir = tempDir();
    writeRawFile(dir, 'real.jsonl', `${handLine('r1', 'a')}\n`);
    symlinkSync(join(dir, 'real.jsonl'), join(dir, 'link.jsonl'));
    mkdirSync(join(dir, 'dir.jsonl'));
    expect(await readSpillFile(join(dir, 'link.jsonl'), 'link.jsonl')).toEqual({ kind: 'not-a-file', reason: 'is a symlink (never followed)' });
    expect(await readSpillFile(join(dir, 'dir.jsonl'), 'dir.jsonl')).toEqual({ kind: 'not-a-file', reason: 'is not a regular file' });
    expect(await readSpillFile(join(dir, 'none.jsonl'), 'none.jsonl')).toEqual({ kind: 'gone' });
    expect(await readSpillFile(join(dir, 'real.jsonl'), 'real.jsonl')).toMatchObject({ kind: 'pairs' });
    // The same through the streaming open, which read-back's validating pass uses
    // (scanSpillFile): a small file read whole goes through another open.
    expect(await scanSpillFile(join(dir, 'link.jsonl'), 'link.jsonl')).toEqual({ kind: 'not-a-file', reason: 'is a symlink (never followed)' });
    expect(await scanSpillFile(join(dir, 'dir.jsonl'), 'dir.jsonl')).toEqual({ kind: 'not-a-file', reason: 'is not a regular file' });
    expect(await scanSpillFile(join(dir, 'none.jsonl'), 'none.jsonl')).toEqual({ kind: 'gone' });
    // A file gone between the two passes is read again later, never taken as read.
    await expect(readSpillChunks(join(dir, 'none.jsonl'), 'none.jsonl', 10, '1:2:3').next()).rejects.toThrow(SpillFileChangedError);
  });

  // Checked: with the limit test removed (made false), the 64 MiB line is gathered and
  // judged, and the reason is 'not JSON' instead.
  it('a line over 64 MiB is refused, naming the line and what to do, without reading it into memory', async () => {
    const dir = tempDir();
    const path = join(dir, 'huge.jsonl');
    writeRawFile(dir, 'huge.jsonl', `${handLine('r1', 'a')}\n`);
    const fd = openSync(path, 'a');
    const mib = Buffer.alloc(1024 * 1024, 0x78);
    for (let i = 0; i < 64; i++) writeSync(fd, mib);
    writeSync(fd, 'x\n');
    closeSync(fd);
    expect(await readSpillFile(path, 'huge.jsonl')).toEqual({ kind: 'malformed', reason: `line 2 is longer than ${MAX_SPILL_LINE_BYTES} bytes; split it or remove it` });
  });
});

/** Runs `read`, counting the turns of the event loop that pass while it runs. */
async function countingTurns<T>(read: () => Promise<T>): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  let reading = true;
  const tick = () => {
    ticks++;
    if (reading) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { result: await read(), ticks };
  } finally {
    reading = false;
  }
}
