// A file read whole is judged from decoded chunks of its bytes: lines are cut from each
// chunk's text, and the common line (a plain valid spill line) is taken without going back
// to its bytes. Whatever the file holds, every verdict must be the one judging that line
// alone from its bytes gives (LineJudge.judge, the streaming reader's way): the same pairs
// with the same ids, the same first bad line and reason, the same torn tail.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgedLinesOf, LineJudge, type Verdict } from '../../src/spill/spill-line-judge.js';
import { readSmallSpillFile, readSpillFile } from '../../src/spill/spill-reader.js';
import { writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

const TS = '2026-11-30T22:00:00.000Z';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const line = (o: unknown) => Buffer.from(JSON.stringify(o));

/** A line that is applied (or skipped, blank), without its newline: mostly what the queue writes. */
const goodLine: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.nat(99_999).map((i) => line({ recordId: `r${i % 7}`, entryId: `1796078361654-i2k821864-${String(i).padStart(10, '0')}`, entry: { ts: TS, cue: `cue ${i}`, sessionId: 's' } })) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }).map((cue) => line({ recordId: 'r1', entry: { ts: TS, cue, sessionId: 'hand' } })) }, // no entryId: one derived from the line number
  { weight: 2, arbitrary: fc.integer({ min: 1_000, max: 40_000 }).map((n) => line({ recordId: 'r2', entry: { ts: TS, cue: 'x'.repeat(n), sessionId: 's' } })) }, // long: lines cross the 64 KiB chunks
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t').map((s) => Buffer.from(s)) }, // blank
  { weight: 1, arbitrary: fc.constant(Buffer.concat([BOM, line({ recordId: 'r3', entry: { ts: TS, cue: 'bom', sessionId: 's' } })])) },
  { weight: 1, arbitrary: fc.constant(line({ recordId: 'r4', entry: { ts: TS, cue: 'café ☕ 𝄞', sessionId: 's' } })) },
  { weight: 1, arbitrary: fc.constant(Buffer.from(`{"recordId":"r5","entry":{"ts":"${TS}","cue":"deep","sessionId":"s","extra":{"a":[1,2,{"b":null}]}}}`)) }, // zod's shape, not the fast check's
);

/** A line that makes its file malformed. */
const badLine: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constant(Buffer.concat([BOM, BOM, line({ recordId: 'r3', entry: { ts: TS, cue: 'bom', sessionId: 's' } })])), // one BOM is dropped, not two
  fc.constant(Buffer.concat([Buffer.from('{"recordId":"r1","entry":{"ts":"'), Buffer.from([0xe9]), Buffer.from('"}}')])), // not UTF-8
  fc.constantFrom('{"recordId": oops}', '[1]', '{"recordId":"r1"}', '{"recordId":"r1","entry":{"ts":"yesterday","cue":"c","sessionId":"s"}}').map((s) => Buffer.from(s)),
);

const lineBytes = fc.oneof({ weight: 5, arbitrary: goodLine }, { weight: 1, arbitrary: badLine });

/** A file: lines joined by newlines, maybe with a last newline, maybe cut inside its last character. */
const fileBytes = fc
  .record({ lines: fc.array(lineBytes, { maxLength: 24 }), lastNewline: fc.boolean(), cutLast: fc.nat(3) })
  .map(({ lines, lastNewline, cutLast }) => {
    const joined = Buffer.concat(lines.flatMap((l, i) => (i < lines.length - 1 || lastNewline ? [l, Buffer.from('\n')] : [l])));
    return lastNewline || cutLast === 0 ? joined : joined.subarray(0, Math.max(0, joined.length - cutLast));
  });

/** The verdicts judging each line alone from its bytes gives: the reference. */
function lineByLine(bytes: Buffer, judge: LineJudge): Verdict[] {
  const out: Verdict[] = [];
  let start = 0;
  for (let lineNo = 1; start <= bytes.length; lineNo++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    if (nl === -1 && end === start) break;
    out.push(judge.judge(bytes.subarray(start, end), lineNo, nl !== -1));
    start = end + 1;
  }
  return out;
}

describe('a file judged from decoded chunks', () => {
  // Checked: with a line judgeText refuses judged again from its text's bytes
  // (Buffer.from(text), not the line's own bytes), a line with two BOMs at a chunk's start
  // is taken instead of refused and this fails; with a chunk cut one byte short of its
  // newline (`cut` for `cut + 1`), the reader never ends (the test hangs).
  it('gives every line the verdict judging it alone from its bytes gives, torn tails included', () => {
    fc.assert(
      fc.property(fileBytes, fc.boolean(), (bytes, dropTornTail) => {
        const chunked = new LineJudge('f.jsonl', { dropTornTail });
        const alone = new LineJudge('f.jsonl', { dropTornTail });
        expect([...judgedLinesOf(bytes, chunked)]).toEqual(lineByLine(bytes, alone));
        expect(chunked.tornLines).toBe(alone.tornLines);
      }),
      { numRuns: 400 },
    );
  });

  // Checked: with readWhole's buffer returned whole (not cut to the bytes read), a file read
  // whole gains a byte and this fails; with an invalid chunk's lines numbered from 1 (not
  // from the chunk's first line), a bad line past the first chunk is named by another
  // number and this fails.
  it('a file over the synchronous read size, read whole for merged read-back, reads as the streaming reader reads it', async () => {
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(fc.array(goodLine, { minLength: 40, maxLength: 80 }), fc.option(fc.tuple(fc.nat(), badLine)), async (good, bad) => {
        const lines = [...good];
        if (bad) lines.splice(bad[0] % lines.length, 0, bad[1]);
        const big = Buffer.concat([...lines.flatMap((l) => [l, Buffer.from('\n')]), line({ recordId: 'r6', entry: { ts: TS, cue: 'pad'.repeat(90_000), sessionId: 's' } })]); // over 256 KiB, no last newline
        writeRawFile(dir, 'big.jsonl', big);
        const path = join(dir, 'big.jsonl');
        expect(await readSmallSpillFile(path, 'big.jsonl', 4 * 1024 * 1024)).toEqual(await readSpillFile(path, 'big.jsonl'));
      }),
      { numRuns: 30 },
    );
  });
});
