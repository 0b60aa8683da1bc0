// Claims on spill files on a bad day: a dead holder's claim whose mtime is ahead of the
// clock (the wall clock stepped back after it was last refreshed), a claim released twice,
// a claim released after another process took it over.
import { existsSync, mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { takeLock } from '../../src/spill/claim-lock.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

function warnings(into: { fields: Record<string, unknown>; msg: string }[]): Logger {
  const none = () => {};
  return { debug: none, info: none, error: none, warn: (fields, msg) => into.push({ fields: fields as Record<string, unknown>, msg }) };
}

describe('spill claims and the clock', () => {
  // Checked: with frozenFor's `return true` made `false` (claim-lock.ts), the claim was never
  // taken over (null for ever: the file waited as long as the clock's step); with the
  // take-over's warning given no fields or no message, the log line was not found; with the
  // stale claim's path made `` in `fse.remove`, takeLock recursed on ELOCKED until the
  // test timed out.
  it("a dead holder's claim left ahead of the clock is taken over after claimStaleMs of monotonic time, and the take-over is logged", async () => {
    const dir = tempDir();
    const file = join(dir, 'a.jsonl');
    mkdirSync(`${file}.lock`);
    const ahead = new Date(Date.now() + 3_600_000); // refreshed last an hour "from now": the clock stepped back
    utimesSync(`${file}.lock`, ahead, ahead);
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const opts = { staleMs: 2000, logger: warnings(lines) };
    expect(await takeLock(file, 'a.jsonl', opts)).toBeNull(); // looks live by the wall clock
    const started = performance.now();
    // Tried again as the read-back loop would, one attempt at a time, for up to 10 s.
    let held = null;
    while (held === null && performance.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 200));
      held = await takeLock(file, 'a.jsonl', opts);
    }
    expect(held).not.toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    expect(lines).toContainEqual({ fields: { file: 'a.jsonl' }, msg: 'spill claim not refreshed for claimStaleMs (monotonic); taking it over' });
    await held!.release();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  // Checked: with the release's error filter made `true` (every error rethrown) or
  // `err.code === 'ERELEASED'`, the second release rejected with ERELEASED.
  it('releasing a claim twice is harmless', async () => {
    const file = join(tempDir(), 'b.jsonl');
    const held = (await takeLock(file, 'b.jsonl', { staleMs: 2000, logger: silentLogger }))!;
    await held.release();
    await expect(held.release()).resolves.toBeUndefined();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  // proper-lockfile marks a lost claim released: its release answers ERELEASED.
  // Checked: with the release's error filter made `true` (or `=== 'ERELEASED'`, or `||`),
  // this rejected with ERELEASED.
  it('releasing a claim another process took over is harmless, and leaves that claim alone', async () => {
    const file = join(tempDir(), 'c.jsonl');
    const held = (await takeLock(file, 'c.jsonl', { staleMs: 2000, logger: silentLogger }))!;
    const other = new Date(Date.now() - 30_000);
    utimesSync(`${file}.lock`, other, other); // not the mtime this process set
    expect(await until(() => held.compromised, 30_000)).toBe(true);
    await expect(held.release()).resolves.toBeUndefined();
    expect(existsSync(`${file}.lock`)).toBe(true);
  });
});
