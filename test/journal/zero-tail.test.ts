// A mapped journal segment is allocated whole before its first line, so a writer killed
// mid-segment leaves zeros after its last line: unwritten space, not damage. Every reader of a
// dead writer's segment (read whole, streamed, scanned then read in chunks, parsed in memory)
// takes the lines before the zeros; a line cut short before the zeros is the torn last line
// (dropped, counted); a NUL byte that more data follows is damage, and the file is
// quarantined as before. Spill files (not journal segments) keep the strict rule.
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
  const summary = (c: SpillFileContent | { kind: 'too-large' }) => (c.kind === 'pairs' ? { cues: cuesOf(c), tornLines: c.tornLines ?? 0 } : c);
  return {
    whole: summary(await readSpillFile(path, name, opts)), // read whole under SYNC_READ_MAX_BYTES, streamed above
    bounded: summary(await readSmallSpillFile(path, name, 16 * 1024 * 1024, opts)), // read into memory by merged read-back's path
    inMemory: summary(parseSpillText(bytes, name, opts)),
    scan: scan.kind === 'pairs' ? { pairs: scan.pairs, tornLines: scan.tornLines ?? 0 } : scan,
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

  // Checked against its revert: with no zero-tail rule (see the first test) the data after
  // the zeros is no longer named as such; with zerosFrom always true it is taken for
  // unwritten space and the lines before are applied without it.
  it.each(cases)('with data after the zeros ($size): quarantined as damage, naming the line and offset', async ({ lines, tail }) => {
    const dir = tempDir();
    const { text } = manyLines(lines);
    const at = Buffer.byteLength(text);
    const bytes = Buffer.concat([Buffer.from(text), zeros(tail), Buffer.from(`${handLine('r1', 'after')}\n`)]);
    const bad = { kind: 'malformed', reason: `line ${lines + 1}: a NUL byte (file offset ${at}) with more data after it; only a journal segment's unwritten end may be zeros` };
    expect(await everyReader(dir, 'seg.jsonl', bytes)).toEqual(agreeing(bad, bad, null));
  });

  // Checked against its revert: with no zero-tail rule, line 1 is refused as not JSON (another
  // reason, no offset) and this fails.
  it('a NUL inside a complete line, zeros after it elsewhere: quarantined', async () => {
    const dir = tempDir();
    const bytes = Buffer.concat([Buffer.from('{"recordId":"r1",'), zeros(1), Buffer.from(`"x":1}\n${handLine('r1', 'b')}\n`), zeros(100)]);
    const bad = { kind: 'malformed', reason: "line 1: a NUL byte (file offset 17) with more data after it; only a journal segment's unwritten end may be zeros" };
    expect(await everyReader(dir, 'seg.jsonl', bytes)).toEqual(agreeing(bad, bad, null));
  });

  // Checked against its revert: with no zero-tail rule, the zeros are one torn line
  // (tornLines 1) and this fails.
  it('nothing but zeros (killed before its first line): empty, nothing torn', async () => {
    const dir = tempDir();
    expect(await everyReader(dir, 'seg.jsonl', zeros(SYNC_READ_MAX_BYTES * 2))).toEqual(agreeing({ kind: 'empty' }, { kind: 'empty' }, null));
  });

  // Checked against its revert: with the rule applied to every file (LineJudge.journal always
  // true), the spill file's zeros are ignored and its line applied; this fails.
  it('a spill file (not a journal segment) ending in zeros is still malformed', async () => {
    const dir = tempDir();
    const bytes = Buffer.concat([Buffer.from(`${handLine('r1', 'a')}\n`), zeros(64)]);
    const res = await everyReader(dir, 'spill.jsonl', bytes, { dropTornTail: false });
    for (const k of ['whole', 'bounded', 'inMemory', 'scan']) expect(res[k]).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^line 2: /) });
    expect(statSync(join(dir, 'spill.jsonl')).size).toBe(bytes.length);
  });
});
