// A mapped journal segment is allocated whole before its first line, so a writer killed
// mid-segment leaves zeros after its last line: unwritten space, not damage. Every reader of a
// dead writer's segment (read whole, streamed, scanned then read in chunks, parsed in memory)
// takes the lines before the zeros; a line cut short before the zeros is the torn last line
// (dropped, counted). A NUL byte that more data follows (a power cut wrote a later page and
// lost an earlier one) ends what is read: the lines before the line holding it are the
// segment's pairs, and every reader names the same rest (from that line to the end) to set
// aside. Spill files (not journal segments) keep the strict rule.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYNC_READ_MAX_BYTES } from '../../src/spill/small-spill-file.js';
import { parseSpillText, readSmallSpillFile, readSpillChunks, readSpillFile, scanSpillFile, type SpillFileContent } from '../../src/spill/spill-reader.js';
import { cuesOf, handLine, manyLines, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

const journal = { dropTornTail: true };
const zeros = (n: number) => Buffer.alloc(n);
const TEAR = '{"recordId":"r1","entry":{"cue":"cut he';

/** What each reader makes of `bytes` as a dead writer's journal segment (the file is written to `dir`). */
async function everyReader(dir: string, name: string, bytes: Buffer, opts = journal): Promise<Record<string, unknown>> {
  writeRawFile(dir, name, bytes);
  const path = join(dir, name);
  const scan = await scanSpillFile(path, name, opts);
  let chunked: unknown = null;
  if (scan.kind === 'pairs') {
    chunked = [];
    for await (const chunk of readSpillChunks(path, name, 100, scan.version, opts)) (chunked as string[]).push(...chunk.map(([, e]) => e.cue));
  }
  const withRest = (c: { rest?: unknown }) => (c.rest ? { rest: c.rest } : {});
  const summary = (c: SpillFileContent | { kind: 'too-large' }) => (c.kind === 'pairs' ? { cues: cuesOf(c), tornLines: c.tornLines ?? 0, ...withRest(c) } : c);
  return {
    whole: summary(await readSpillFile(path, name, opts)), // read whole under SYNC_READ_MAX_BYTES, streamed above
    bounded: summary(await readSmallSpillFile(path, name, 16 * 1024 * 1024, opts)), // read into memory by merged read-back's path
    inMemory: summary(parseSpillText(bytes, name, opts)),
    scan: scan.kind === 'pairs' ? { pairs: scan.pairs, tornLines: scan.tornLines ?? 0, ...withRest(scan) } : scan.kind === 'empty' && scan.rest ? { kind: 'empty', rest: scan.rest } : scan,
    chunked,
  };
}

/** Every reader agreeing on `expected`; the scan and chunks on the same pairs. */
function agreeing(expected: unknown, scan: unknown, chunked: unknown) {
  return { whole: expected, bounded: expected, inMemory: expected, scan, chunked };
}

// Sizes: a few lines and a short tail (read whole); 300 lines (over SYNC_READ_MAX_BYTES) and
// 5 MiB of zeros, so the streaming reader meets the zeros across several 1 MiB reads.
const cases = [
  { size: 'small', lines: 3, tail: 4096 },
  { size: 'streamed', lines: 300, tail: 5 * 1024 * 1024 },
];

describe('a dead writer’s journal segment ending in zeros (mapped, allocated whole)', () => {
  // Checked against its revert: with journalDataEnd returning the whole length (no zero-tail
  // rule) and the streaming reader's NUL search skipped, the zeros are a last line that is
  // not JSON, counted as a torn line: this fails (both sizes; so do the NUL and zeros-only
  // tests below).
  it.each(cases)('after a complete line ($size): every line applied, nothing counted torn', async ({ lines, tail }) => {
    const dir = tempDir();
    const { text, cues } = manyLines(lines);
    const bytes = Buffer.concat([Buffer.from(text), zeros(tail)]);
    if (lines > 3) expect(bytes.length).toBeGreaterThan(SYNC_READ_MAX_BYTES);
    expect(await everyReader(dir, 'seg.jsonl', bytes)).toEqual(agreeing({ cues, tornLines: 0 }, { pairs: lines, tornLines: 0 }, cues));
  });

  // Checked against its revert: with the piece of a line before the zeros taken for
  // unwritten space too (journalDataEnd cutting at the last newline; the stream not judging
  // its last piece once it met a NUL), nothing is counted torn and this fails (both sizes).
  // (With no zero-tail rule at all the piece and the zeros are one torn line: this passes.)
  it.each(cases)('after a line cut short ($size): the torn last line dropped and counted, the rest applied', async ({ lines, tail }) => {
    const dir = tempDir();
    const { text, cues } = manyLines(lines);
    const bytes = Buffer.concat([Buffer.from(text + TEAR), zeros(tail)]);
    expect(await everyReader(dir, 'seg.jsonl', bytes)).toEqual(agreeing({ cues, tornLines: 1 }, { pairs: lines, tornLines: 1 }, cues));
  });

  // Checked against its revert (today's whole-segment quarantine: restFrom giving the old
  // "a NUL byte ... with more data after it" reason): every reader calls the file malformed
  // and this fails (both sizes). With zerosFrom always true, the data after the zeros is
  // taken for unwritten space, no rest is named, and this fails too.
  it.each(cases)('with data after the zeros ($size): the lines before applied, the rest from the first NUL named', async ({ lines, tail }) => {
    const dir = tempDir();
    const { text, cues } = manyLines(lines);
    const at = Buffer.byteLength(text);
    const bytes = Buffer.concat([Buffer.from(text), zeros(tail), Buffer.from(`${handLine('r1', 'after')}\n`)]);
    const rest = { from: at, line: lines + 1, nul: at };
    expect(await everyReader(dir, 'seg.jsonl', bytes)).toEqual(agreeing({ cues, tornLines: 0, rest }, { pairs: lines, tornLines: 0, rest }, cues));
  });

  // The line cut short before the zeros is no torn last line when data follows: its bytes
  // are the rest's first (set aside, not dropped), and nothing is counted torn. Checked
  // against its revert (the piece taken for the torn last line: restFrom given the NUL's
  // offset, the stream judging its partial line first): tornLines 1, the rest from the NUL
  // — this fails (both sizes).
  it.each(cases)('a line cut short before zeros with data after ($size): the rest begins with it, nothing torn', async ({ lines, tail }) => {
    const dir = tempDir();
    const { text, cues } = manyLines(lines);
    const at = Buffer.byteLength(text);
    const bytes = Buffer.concat([Buffer.from(text + TEAR), zeros(tail), Buffer.from('ail of a line"}}\n'), Buffer.from(`${handLine('r1', 'after')}\n`), zeros(100)]);
    const rest = { from: at, line: lines + 1, nul: at + TEAR.length };
    expect(await everyReader(dir, 'seg.jsonl', bytes)).toEqual(agreeing({ cues, tornLines: 0, rest }, { pairs: lines, tornLines: 0, rest }, cues));
  });

  // The streaming reader reads 1 MiB at a time: here the line cut short by the zeros begins
  // in one read and its NUL lies in the next, so the rest's start is counted back across the
  // reads. Checked against its revert (the rest taken from the start of the read holding the
  // NUL, the partial line's bytes not counted): `whole` and `scan` name another offset and
  // this fails.
  it('a line cut short by zeros that straddles the stream’s 1 MiB reads: the rest begins where the line does', async () => {
    const dir = tempDir();
    const { text, cues } = manyLines(700);
    const at = Buffer.byteLength(text);
    expect(at).toBeLessThan(1024 * 1024 - 100);
    const piece = `{"recordId":"r1","entry":{"cue":"${'x'.repeat(1024 * 1024 - at + 1000)}`;
    const bytes = Buffer.concat([Buffer.from(text + piece), zeros(4096), Buffer.from(`${handLine('r1', 'after')}\n`)]);
    const rest = { from: at, line: 701, nul: at + piece.length };
    expect(await everyReader(dir, 'seg.jsonl', bytes)).toEqual(agreeing({ cues, tornLines: 0, rest }, { pairs: 700, tornLines: 0, rest }, cues));
  });

  // Checked against its revert (today's whole-segment quarantine, as above): malformed, this fails.
  it('a NUL inside the first line, data after it: no pair, the whole file is the rest', async () => {
    const dir = tempDir();
    const bytes = Buffer.concat([Buffer.from('{"recordId":"r1",'), zeros(1), Buffer.from(`"x":1}\n${handLine('r1', 'b')}\n`), zeros(100)]);
    const empty = { kind: 'empty', rest: { from: 0, line: 1, nul: 17 } };
    expect(await everyReader(dir, 'seg.jsonl', bytes)).toEqual(agreeing(empty, empty, null));
  });

  // Checked against its revert: with no zero-tail rule, the zeros are one torn line
  // (tornLines 1) and this fails.
  it('nothing but zeros (killed before its first line): empty, nothing torn', async () => {
    const dir = tempDir();
    expect(await everyReader(dir, 'seg.jsonl', zeros(SYNC_READ_MAX_BYTES * 2))).toEqual(agreeing({ kind: 'empty' }, { kind: 'empty' }, null));
  });

  // Checked against its revert: with the rule applied to every file (LineJudge.journal always
  // true), the spill file's zeros are ignored and its line applied; this fails.
  it.each([
    { what: 'ending in zeros', after: '' },
    { what: 'with data after zeros', after: `${handLine('r1', 'b')}\n` },
  ])('a spill file (not a journal segment) $what is still malformed', async ({ after }) => {
    const dir = tempDir();
    const bytes = Buffer.concat([Buffer.from(`${handLine('r1', 'a')}\n`), zeros(64), Buffer.from(after)]);
    const res = await everyReader(dir, 'spill.jsonl', bytes, { dropTornTail: false });
    for (const k of ['whole', 'bounded', 'inMemory', 'scan']) expect(res[k]).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^line 2: /) });
    expect(statSync(join(dir, 'spill.jsonl')).size).toBe(bytes.length);
  });
});
