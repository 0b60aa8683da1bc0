// A holder that stalled past another process's claimStaleMs, and whose claim that process
// took over, must not remove the new holder's claim when it releases its own: a third
// process could then take the same file (or read-back lease) while the second works it.
// Duplicates only (entry ids absorb them), but each is a sink write for nothing.
//
// Checked: with the release check removed (release() straight to proper-lockfile, as
// before), 'the new holder keeps its claim' fails: the directory was removed.
import { existsSync, mkdirSync, rmdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { takeLock } from '../../src/spill/claim-lock.js';
import { tempDir } from '../helpers/temp.js';

describe('releasing a claim another process took over', () => {
  it('leaves the new holder’s claim in place; a claim still ours is removed', async () => {
    const dir = tempDir();
    const taken = join(dir, 'a.jsonl');
    const held = (await takeLock(taken, 'a.jsonl', { staleMs: 2000, logger: silentLogger }))!;
    // Another process, finding the claim stale, removes it and makes its own.
    rmdirSync(`${taken}.lock`);
    mkdirSync(`${taken}.lock`);
    const later = new Date(Date.now() + 5000);
    utimesSync(`${taken}.lock`, later, later);
    await held.release();
    expect(existsSync(`${taken}.lock`), 'the new holder keeps its claim').toBe(true);

    const ours = join(dir, 'b.jsonl');
    const mine = (await takeLock(ours, 'b.jsonl', { staleMs: 2000, logger: silentLogger }))!;
    await mine.release();
    expect(existsSync(`${ours}.lock`), 'our own claim is released').toBe(false);
  });
});
