// `provq spill retry --salvage` on the lines an operator's bad day leaves in a quarantined
// file: bytes that are not UTF-8, JSON that is not a spill line, nothing valid at all, a
// file that is gone or swapped for a symlink. Run in-process (salvageQuarantinedFile is
// what the CLI calls), so the mutation run sees these without a child process.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quarantineSpillFile } from '../../src/spill/quarantine.js';
import { salvageQuarantinedFile } from '../../src/spill/salvage.js';
import { readSpillFile } from '../../src/spill/spill-reader.js';
import { cuesOf, handLine, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

const pendingIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl') && !n.includes('.failed-')).sort();

describe('salvaging a quarantined spill file', () => {
  // Checked: with the UTF-8 catch block emptied (salvage.ts), the salvage threw a TypeError
  // (text undefined) and nothing was salvaged; with the schema refusal's block emptied, it
  // threw on the line without an entry; with either bad-line record made `{}`, the remainder
  // lost that line's bytes and the reason its text.
  it('puts back the valid lines and keeps a line of invalid UTF-8 and a JSON line that is not a spill line, byte for byte at their line numbers', async () => {
    const dir = tempDir();
    const latin1 = Buffer.concat([Buffer.from('{"recordId":"r1","entry":{"cue":"caf'), Buffer.from([0xe9]), Buffer.from('"}}')]);
    const noEntry = Buffer.from('{"recordId":"r1"}');
    writeRawFile(dir, 'mixed.jsonl', Buffer.concat([
      Buffer.from(`${handLine('r1', 'good-1')}\n`),
      latin1, Buffer.from('\n'),
      Buffer.from(`${handLine('r1', 'good-2')}\n`),
      noEntry, Buffer.from('\n'),
    ]));
    const q = await quarantineSpillFile(dir, 'mixed.jsonl', 'by hand');

    const r = await salvageQuarantinedFile(join(dir, q));
    expect(r).toMatchObject({ goodLines: 2, remainder: q });
    if (!('badLines' in r)) throw new Error('refused');
    expect(r.badLines.map((b) => b.line)).toEqual([2, 4]);
    expect(r.badLines[0]!.reason).toBe('line 2: not valid UTF-8 text');
    expect(r.badLines[1]!.reason).toMatch(/^line 4: entry/);

    // The remainder: the bad lines' bytes as they were, blank lines where the good ones were.
    expect(readFileSync(join(dir, q))).toEqual(Buffer.concat([Buffer.from('\n'), latin1, Buffer.from('\n\n'), noEntry, Buffer.from('\n')]));
    const [salvaged] = pendingIn(dir);
    expect(cuesOf(await readSpillFile(join(dir, salvaged!), salvaged!))).toEqual(['good-1', 'good-2']);
    const { reason } = JSON.parse(readFileSync(join(dir, `${q}.reason.json`), 'utf8')) as { reason: string };
    expect(reason).toMatch(/^line 2: not valid UTF-8 text; line 4: entry.* \(2 valid lines salvaged into \d{13}-\d{6}-\d+\.jsonl\)$/);
  });

  // Checked: with writeSalvagedPairs' `return []` for no pairs made `["Stryker was here"]`,
  // the result named a salvaged file that does not exist; with the reason's tail for no
  // salvaged lines made "Stryker was here!", the reason ended with it.
  it('with no valid line, writes no new file and keeps the reason to the bad lines alone', async () => {
    const dir = tempDir();
    writeRawFile(dir, 'bad.jsonl', '{oops\n');
    const q = await quarantineSpillFile(dir, 'bad.jsonl', 'by hand');
    const r = await salvageQuarantinedFile(join(dir, q));
    expect(r).toEqual({ salvagedFiles: [], goodLines: 0, badLines: [{ line: 1, reason: expect.stringMatching(/^line 1: not JSON/) }], remainder: q });
    expect(pendingIn(dir)).toEqual([]);
    const { reason } = JSON.parse(readFileSync(join(dir, `${q}.reason.json`), 'utf8')) as { reason: string };
    expect(reason).toMatch(/^line 1: not JSON \([^)]*\)$/);
  });

  // Checked: with readTrusted's open failure answer emptied (`{}`), or `r.kind === 'gone'`
  // made `true`/`false`/`!==`, or its not-a-regular-file answer emptied, the refusal said
  // nothing or the wrong thing.
  it('refuses a file that is gone, or that was swapped for a symlink or a directory, saying which; the symlink\'s target is not read', async () => {
    const dir = tempDir();
    writeRawFile(dir, 'x.jsonl', `${handLine('r1', 'x')}\n`);
    const q = await quarantineSpillFile(dir, 'x.jsonl', 'by hand');
    rmSync(join(dir, q));
    expect(await salvageQuarantinedFile(join(dir, q))).toEqual({ refused: 'no such file' });

    const target = join(tempDir(), 'elsewhere.jsonl');
    writeFileSync(target, `${handLine('r1', 'planted')}\n`, { mode: 0o600 });
    symlinkSync(target, join(dir, q));
    expect(await salvageQuarantinedFile(join(dir, q))).toEqual({ refused: 'is a symlink (never followed)' });
    rmSync(join(dir, q));
    mkdirSync(join(dir, q)); // a directory by that name: opened, then refused by fstat
    expect(await salvageQuarantinedFile(join(dir, q))).toEqual({ refused: 'is not a regular file' });
    expect(pendingIn(dir)).toEqual([]);
    expect(existsSync(target)).toBe(true);
  });
});
