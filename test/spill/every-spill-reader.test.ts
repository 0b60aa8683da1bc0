// What every spill reader must agree on, whatever path a file takes (read whole with
// synchronous calls, streamed, scanned then read in chunks, or parsed in memory): which
// opens are verdicts and which are errors, that each closes its file, blank lines, torn
// journal tails, a file changed between passes. Mutation testing (docs/testing.md) found
// each of these untested on at least one path.
import { closeSync, openSync, readdirSync, readlinkSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpillFileChangedError } from '../../src/errors.js';
import { SYNC_READ_MAX_BYTES } from '../../src/spill/small-spill-file.js';
import { parseSpillText, readSmallSpillFile, readSpillChunks, readSpillFile, scanSpillFile } from '../../src/spill/spill-reader.js';
import { cuesOf, handLine, manyLines, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

describe('every spill reader', () => {
  // Checked: with the ELOOP test of either open made true (small-spill-file.ts,
  // spill-reader.ts), or the ENOENT test made true, the path through a file reads as a
  // symlink or as gone, and this fails.
  it('a file that cannot be opened for another reason is an error to retry, not a verdict on the file', async () => {
    const dir = tempDir();
    writeRawFile(dir, 'plain', 'not a directory');
    const through = join(dir, 'plain', 'x.jsonl'); // ENOTDIR: as a passing fault (EMFILE, EIO) would be
    await expect(readSpillFile(through, 'x.jsonl')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(scanSpillFile(through, 'x.jsonl')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  // Checked: with the whole-file reader's `finally { closeSync(fd) }` emptied
  // (small-spill-file.ts), or the `finally` that closes the file emptied in scanSpillFile,
  // readSpillChunks or the streaming readSmallSpillFile, or the close on a version mismatch
  // skipped (`'fh' in opened` made false), the file is still open after the call and this
  // fails. (A FileHandle left open is closed by the garbage collector some time later, with
  // a warning: counting descriptors over many reads does not see it, looking at once does.)
  it('every reader closes the file before it returns: a long-running read-back never runs out of descriptors', async () => {
    const dir = tempDir();
    const small = join(dir, 'a.jsonl');
    const big = join(dir, 'big.jsonl');
    writeRawFile(dir, 'a.jsonl', `${handLine('r1', 'a')}\n`);
    writeRawFile(dir, 'big.jsonl', manyLines(300).text); // over SYNC_READ_MAX_BYTES: streamed
    const stillOpen = (path: string) =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === path;
        } catch {
          return false; // closed meanwhile (the directory's own descriptor, another thread's)
        }
      }).length;
    expect(await readSpillFile(small, 'a.jsonl')).toMatchObject({ kind: 'pairs' });
    expect(stillOpen(small)).toBe(0);
    const scan = await scanSpillFile(small, 'a.jsonl');
    expect(scan).toMatchObject({ kind: 'pairs' });
    expect(stillOpen(small)).toBe(0);
    for await (const chunk of readSpillChunks(small, 'a.jsonl', 10, (scan as { version: string }).version)) expect(chunk).toHaveLength(1);
    expect(stillOpen(small)).toBe(0);
    await expect(readSpillChunks(small, 'a.jsonl', 10, 'another version').next()).rejects.toThrow(SpillFileChangedError);
    expect(stillOpen(small)).toBe(0);
    expect(await readSpillFile(big, 'big.jsonl')).toMatchObject({ kind: 'pairs' });
    expect(stillOpen(big)).toBe(0);
  });

  // Checked: with `pairs.length === 0` made false in the whole-file reader
  // (small-spill-file.ts), the streaming readSmallSpillFile or parseSpillText, or
  // `pairs === 0` in scanSpillFile, a blank file reads as pairs and this fails; with a blank
  // line's null counted or kept (`if (v)` made true in scanSpillFile, readSmallSpillFile,
  // parseSpillText; `if (!v) continue` made false in readSpillChunks), this fails.
  it('blank lines hold no pair: a blank file is empty for every reader, and blank lines between pairs are skipped', async () => {
    const dir = tempDir();
    writeRawFile(dir, 'blank.jsonl', '\n  \n\n');
    writeRawFile(dir, 'big-blank.jsonl', '\n'.repeat(SYNC_READ_MAX_BYTES + 10)); // streamed
    for (const name of ['blank.jsonl', 'big-blank.jsonl']) {
      expect(await readSpillFile(join(dir, name), name)).toEqual({ kind: 'empty' });
      expect(await scanSpillFile(join(dir, name), name)).toEqual({ kind: 'empty' });
    }
    expect(parseSpillText(Buffer.from('\n  \n'), 'blank.jsonl')).toEqual({ kind: 'empty' });

    const gaps = `${handLine('r1', 'a')}\n\n  \n${handLine('r1', 'b')}\n\n`;
    writeRawFile(dir, 'gaps.jsonl', gaps);
    const path = join(dir, 'gaps.jsonl');
    const scan = await scanSpillFile(path, 'gaps.jsonl');
    expect(scan).toMatchObject({ kind: 'pairs', pairs: 2 });
    const chunks: string[][] = [];
    for await (const chunk of readSpillChunks(path, 'gaps.jsonl', 10, (scan as { version: string }).version)) chunks.push(chunk.map(([, e]) => e.cue));
    expect(chunks).toEqual([['a', 'b']]);
    expect(cuesOf(parseSpillText(Buffer.from(gaps), 'gaps.jsonl'))).toEqual(['a', 'b']);
    const big = manyLines(300);
    writeRawFile(dir, 'big-gaps.jsonl', `\n${big.text}\n\n`); // streamed
    expect(cuesOf(await readSpillFile(join(dir, 'big-gaps.jsonl'), 'big-gaps.jsonl'))).toEqual(big.cues);
  });

  // Checked: with the streaming readSmallSpillFile's size test made false, the file over
  // maxBytes is read whole; made `>=`, the file of exactly maxBytes is refused; with its
  // result emptied (`{}`, `""`), this fails.
  it('a file over the size asked for is not read whole (merged read-back sends it alone): too-large', async () => {
    const dir = tempDir();
    const { text } = manyLines(300);
    writeRawFile(dir, 'big.jsonl', text);
    const size = statSync(join(dir, 'big.jsonl')).size;
    expect(await readSmallSpillFile(join(dir, 'big.jsonl'), 'big.jsonl', size - 1)).toEqual({ kind: 'too-large' });
    expect(await readSmallSpillFile(join(dir, 'big.jsonl'), 'big.jsonl', size)).toMatchObject({ kind: 'pairs' });
  });

  // Checked: with the scan's tornLines result emptied (`{}`) or its kind emptied (`""`), or
  // the empty-file result emptied, the scans below fail; with the streaming whole-file
  // read's torn result emptied, or its last line judged as terminated, the 300-line segment
  // fails; with the streaming reader calling every line unterminated (`lineNo++, true` →
  // `false`), its damaged inner line is dropped as torn and the segment applied without it.
  it('a journal segment whose writer died mid-line: each reader drops and counts the torn line, whatever the size', async () => {
    const dir = tempDir();
    const { text } = manyLines(3);
    const tear = '{"recordId":"r1","entry":{"cue":"cut he';
    writeRawFile(dir, 'seg.jsonl', `${text}${tear}`);
    expect(await scanSpillFile(join(dir, 'seg.jsonl'), 'seg.jsonl', { dropTornTail: true })).toMatchObject({ kind: 'pairs', pairs: 3, tornLines: 1 });
    // Died in its first write: no pair, one torn line (counted, then the segment removed).
    writeRawFile(dir, 'first.jsonl', tear);
    expect(await scanSpillFile(join(dir, 'first.jsonl'), 'first.jsonl', { dropTornTail: true })).toEqual({ kind: 'empty', tornLines: 1 });
    expect(await readSpillFile(join(dir, 'first.jsonl'), 'first.jsonl', { dropTornTail: true })).toEqual({ kind: 'empty', tornLines: 1 });
    // Over SYNC_READ_MAX_BYTES: streamed, not read whole.
    const big = manyLines(300);
    writeRawFile(dir, 'big-seg.jsonl', `${big.text}${tear}`);
    expect(statSync(join(dir, 'big-seg.jsonl')).size).toBeGreaterThan(SYNC_READ_MAX_BYTES);
    const read = await readSpillFile(join(dir, 'big-seg.jsonl'), 'big-seg.jsonl', { dropTornTail: true });
    expect(read).toMatchObject({ kind: 'pairs', tornLines: 1 });
    expect(cuesOf(read)).toEqual(big.cues);
    // A damaged line inside a streamed segment (a newline follows it) is damage, not a tear:
    // the segment is quarantined, never applied without it.
    writeRawFile(dir, 'big-bad.jsonl', `${big.text}${tear}\n${handLine('r1', 'after')}\n`);
    const bad = { kind: 'malformed', reason: expect.stringMatching(/^line 301: not JSON/) };
    expect(await readSpillFile(join(dir, 'big-bad.jsonl'), 'big-bad.jsonl', { dropTornTail: true })).toMatchObject(bad);
    expect(await scanSpillFile(join(dir, 'big-bad.jsonl'), 'big-bad.jsonl', { dropTornTail: true })).toMatchObject(bad);
  });

  // Checked: with the reason left out of the error (its template emptied), this fails.
  it('a file altered in place between its two passes (same size and time) is not applied: the read stops, naming the line', async () => {
    const dir = tempDir();
    const path = join(dir, 'edited.jsonl');
    writeRawFile(dir, 'edited.jsonl', `${handLine('r1', 'a')}\n${handLine('r1', 'b')}\n`);
    utimesSync(path, 1_000_000, 1_000_000); // a whole second: the version compares equal after the edit
    const scan = await scanSpillFile(path, 'edited.jsonl');
    expect(scan).toMatchObject({ kind: 'pairs', pairs: 2 });
    const fd = openSync(path, 'r+');
    writeSync(fd, '#', Buffer.byteLength(`${handLine('r1', 'a')}\n`)); // line 2 no longer JSON, same size
    closeSync(fd);
    utimesSync(path, 1_000_000, 1_000_000);
    const chunks = readSpillChunks(path, 'edited.jsonl', 10, (scan as { version: string }).version);
    await expect(chunks.next()).rejects.toThrow(/^spill file edited\.jsonl changed while it was being read back \(line 2: not JSON .*\); it is read again$/);
  });

  // Checked: with parseSpillText's malformed result emptied (`{}`, or its reason `""`), this fails.
  it('text recovered in memory with a bad line is malformed as a whole, naming the line', () => {
    const text = Buffer.from(`${handLine('r1', 'a')}\n{"recordId":"r1"}\n`);
    expect(parseSpillText(text, 'tmp.jsonl')).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^line 2: /) });
  });
});
