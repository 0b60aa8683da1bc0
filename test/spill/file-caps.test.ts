// Spill and journal files as the queue writes them: capped by bytes and pairs on every
// write path, never replacing an existing file, and read back with bounded memory.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { raiseEntryIdFloor } from '../../src/entry-id.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { newSpillFileName } from '../../src/spill/spill-file-name.js';
import { MAX_SPILL_FILE_BYTES, MAX_SPILL_FILE_PAIRS, spillLine, SpillWriter, writeDurably } from '../../src/spill/spill-writer.js';
import { pair } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { segmentText } from '../helpers/spill-files.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function jsonl(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
}
/** Lines of a spill file or journal segment (a live mapped segment's zeros left out). */
function lineCount(path: string): number {
  return segmentText(path).trim().split('\n').length;
}

describe('every write path caps its files', () => {
  // Checked: with the writer of before (one call, one file), append writes one file of
  // 40,000 pairs and appendSync one of 700 big pairs (over the byte cap), and both fail.
  it('append and appendSync split by pairs and by bytes, and keep the order in the names', async () => {
    const dir = tempDir();
    const many = Array.from({ length: 40_000 }, (_, i) => pair('r1', `c${String(i).padStart(6, '0')}`, { entryId: `id${i}` }));
    const files = await new SpillWriter(dir).append(many);
    expect(files.map((f) => f.pairs)).toEqual([MAX_SPILL_FILE_PAIRS, MAX_SPILL_FILE_PAIRS, 40_000 - 2 * MAX_SPILL_FILE_PAIRS]);
    const cues = files.flatMap((f) => readFileSync(join(dir, f.name), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { entry: { cue: string } }).entry.cue));
    expect(cues).toEqual(many.map(([, e]) => e.cue)); // in order across the parts, and the names sort that way
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort());

    const big = join(tempDir(), 'big');
    const pad = 'x'.repeat(100 * 1024);
    const bigPairs = Array.from({ length: 700 }, (_, i) => pair('r1', `b${i}`, { entryId: `b${i}`, pad })); // ~70 MB
    const bigFiles = new SpillWriter(big).appendSync(bigPairs);
    expect(bigFiles.length).toBeGreaterThanOrEqual(2);
    for (const f of jsonl(big)) expect(statSync(join(big, f)).size).toBeLessThanOrEqual(MAX_SPILL_FILE_BYTES);
    expect(bigFiles.reduce((n, f) => n + f.pairs, 0)).toBe(700);
  });

  // Checked: with filesOfLines ignoring caps.pairs, a file holds 5 pairs and this fails;
  // ignoring caps.bytes, a file holds 1,207 bytes; with its cut one byte short of the
  // newline, lines are split between files and the content check fails.
  it('appendLines cuts encoded lines into files within the caps, at line boundaries, in order', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 11 }, (_, i) => spillLine(pair('r1', `l${i}`, { entryId: `id${i}`, pad: 'p'.repeat(i === 7 ? 800 : 10) })));
    const piece = (from: number, to: number) => ({ bytes: Buffer.from(lines.slice(from, to).join('')), pairs: to - from });
    // Caps of 3 pairs and 700 bytes (about 5 lines); line 7 alone is longer than that.
    const files = new SpillWriter(dir, { pairs: 3, bytes: 700 }).appendLinesSync([piece(0, 5), piece(5, 6), piece(6, 11)]);
    const contents = files.map((f) => readFileSync(join(dir, f.name), 'utf8'));
    expect(contents.join('')).toBe(lines.join(''));
    for (const [k, f] of files.entries()) {
      const n = contents[k]!.split('\n').length - 1;
      expect(n).toBe(f.pairs);
      expect(n).toBeLessThanOrEqual(3);
      if (n > 1) expect(Buffer.byteLength(contents[k]!)).toBeLessThanOrEqual(700);
    }
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort());
    expect(await new SpillWriter(tempDir(), { pairs: 3, bytes: 700 }).appendLines([piece(0, 11)])).toHaveLength(files.length);
  });

  // Checked: with the journal writing a turn's lines into one segment whatever its size
  // (segmentFor rotating only between turns), this turn makes one 2 MB segment.
  it('the journal splits one big turn into segments within journalSegmentBytes', async () => {
    const spillDir = join(tempDir(), 'spill');
    const journalDir = join(tempDir(), 'journal');
    const sink = { appendProvenanceBatch: () => new Promise<void>(() => {}) }; // never settles: the journal stays
    const q = new ProvenanceWriteQueue(sink, { spillDir, journalDir, logger: silentLogger, journalSegmentBytes: 64 * 1024, exitHook: false, coalesceMs: 0 });
    q.start();
    try {
      q.enqueue(Array.from({ length: 2000 }, (_, i) => pair('r1', `j${i}`, { pad: 'y'.repeat(1000) }))); // ~2.1 MB in one turn
      await new Promise((r) => setImmediate(r));
      const segments = jsonl(journalDir);
      expect(segments.length).toBeGreaterThanOrEqual(30);
      for (const s of segments) expect(statSync(join(journalDir, s)).size).toBeLessThanOrEqual(64 * 1024);
      expect(segments.reduce((n, s) => n + lineCount(join(journalDir, s)), 0)).toBe(2000);
    } finally {
      await q.stop({ timeoutMs: 200 });
    }
  });
});

describe('files are created without ever replacing one', () => {
  // Checked: with rename(2) in place of link(2) the older file's content is replaced ("old" gone).
  it('a spill name already taken (pid reuse, a clock step) gets a -c1 name beside it; the old file stays', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const now = 4_000_000_000_000; // 2096: names take the id clock's time, held here by the id floor
    raiseEntryIdFloor(now);
    const seen = newSpillFileName(); // the sequence is the module's: the next name is predictable
    const seq = Number(seen.split('-')[1]) + 1;
    const taken = `${String(now).padStart(13, '0')}-${String(seq).padStart(6, '0')}-${process.pid}.jsonl`;
    writeFileSync(join(dir, taken), 'old\n');
    const [written] = new SpillWriter(dir).appendSync([pair('r1', 'new', { entryId: 'n1' })]);
    expect(written!.name).toBe(taken.replace('.jsonl', '-c1.jsonl'));
    expect(readFileSync(join(dir, taken), 'utf8')).toBe('old\n');
    expect(readFileSync(join(dir, written!.name), 'utf8')).toContain('"new"');
  });

  it('writeDurably refuses to replace a file (EEXIST) and leaves no temp file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.jsonl'), 'old\n');
    await expect(writeDurably(dir, 'a.jsonl', 'new\n')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['a.jsonl']);
  });
});

describe('read-back streams (a real child process with a small heap)', () => {
  // Checked: with the reader of before (readFile + one decode of the whole file), the child
  // is killed by V8 ("JavaScript heap out of memory") on this 250 MB file: status null.
  it('a valid 250 MB hand-made file is applied whole by a process with a 96 MB heap', { timeout: 120_000 }, () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'spill'), { mode: 0o700 });
    const line = `${JSON.stringify({ recordId: 'r1', entry: { ts: '2026-01-01T00:00:00.000Z', cue: 'big', sessionId: 'hand', pad: 'z'.repeat(4000) } })}\n`;
    const block = Buffer.from(line.repeat(256)); // ~1 MB
    const blocks = Math.ceil((250 * 1024 * 1024) / block.length);
    const fd = openSync(join(dir, 'spill', 'hand.jsonl'), 'w', 0o600);
    for (let i = 0; i < blocks; i++) writeSync(fd, block);
    closeSync(fd);
    const lines = blocks * 256;
    const script = fileURLToPath(new URL('./read-back-child.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--max-old-space-size=96', '--import', 'tsx', script, join(dir, 'spill')], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 110_000,
      killSignal: 'SIGKILL', // a queue's SIGTERM handler cannot run in a loop that never yields
    });
    expect({ status: r.status, stderr: r.stderr.slice(-500) }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ applied: lines, distinctIds: lines, left: [] });
  });
});

