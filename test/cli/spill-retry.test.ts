// provq spill retry [--salvage]: a quarantined file goes back in line whole once fixed, or
// only its valid lines; never a pair twice, never a bad line lost.
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quarantineSpillFile } from '../../src/spill/quarantine.js';
import { writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { cuesOf, line, makeStore, provq, spillDirOf } from './run-provq.js';

const quarantinedIn = (dir: string) => readdirSync(dir).filter((n) => /\.failed-\d+\.jsonl$/.test(n));
const pendingIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl') && !/\.failed-/.test(n));

describe('provq spill retry --salvage', () => {
  // Ten provq runs: 40 s at load 12, past 60 s at load 16 (the suite's default timeout).
  it('puts the valid lines back in line and keeps the bad ones quarantined; salvage + replay twice adds nothing twice', { timeout: 180_000 }, async () => {
    const store = await makeStore(['r1']);
    const dir = spillDirOf(store);
    writeRawFile(dir, 'mixed.jsonl', `${line('r1', 'g1')}\n{oops\n${line('r1', 'g2')}\n`);
    expect((await provq('spill', 'replay', '--store', store)).code).toBe(1);
    const [q] = quarantinedIn(dir);
    const original = readFileSync(join(dir, q!));

    const s = await provq('spill', 'retry', join(dir, q!), '--salvage');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('salvaged 2 valid lines');
    expect(s.stderr).toMatch(/still bad: line 2: not JSON/);
    expect(pendingIn(dir)).toHaveLength(1);
    // The bad line stays quarantined, at its original line number.
    expect(quarantinedIn(dir)).toEqual([q]);
    expect(readFileSync(join(dir, q!), 'utf8')).toBe('\n{oops\n');
    expect(JSON.parse(readFileSync(join(dir, `${q}.reason.json`), 'utf8')).reason).toMatch(/^line 2: not JSON/);

    expect((await provq('spill', 'replay', '--store', store)).code).toBe(0);
    expect(await cuesOf(store, 'r1')).toEqual(['g1', 'g2']);

    // The same quarantined file salvaged and replayed again (say, restored from a backup): no duplicates.
    writeFileSync(join(dir, q!), original);
    expect((await provq('spill', 'retry', join(dir, q!), '--salvage')).code).toBe(0);
    expect((await provq('spill', 'replay', '--store', store)).code).toBe(0);
    expect(await cuesOf(store, 'r1')).toEqual(['g1', 'g2']);

    // The bad line fixed and retried later: it keeps its own id (line 2), colliding with neither.
    writeFileSync(join(dir, q!), `\n${line('r1', 'fixed')}\n`);
    expect((await provq('spill', 'retry', join(dir, q!))).code).toBe(0);
    expect((await provq('spill', 'replay', '--store', store)).code).toBe(0);
    expect(await cuesOf(store, 'r1')).toEqual(['g1', 'fixed', 'g2']);
    expect(readdirSync(dir)).toEqual([]);

    // The whole original, fixed and retried: its lines are the ones already salvaged (same ids).
    writeFileSync(join(dir, q!), `${line('r1', 'g1')}\n${line('r1', 'fixed')}\n${line('r1', 'g2')}\n`);
    expect((await provq('spill', 'retry', join(dir, q!))).code).toBe(0);
    expect((await provq('spill', 'replay', '--store', store)).code).toBe(0);
    expect(await cuesOf(store, 'r1')).toEqual(['g1', 'fixed', 'g2']);
  });

  it('with --store applies the salvaged lines at once; a file with nothing bad left is removed with its reason', async () => {
    const store = await makeStore(['r1']);
    const dir = spillDirOf(store);
    writeRawFile(dir, 'fine.jsonl', `${line('r1', 'a')}\n${line('r1', 'b')}\n`);
    const q = await quarantineSpillFile(dir, 'fine.jsonl', 'quarantined by hand');
    const r = await provq('spill', 'retry', join(dir, q), '--salvage', '--store', store);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('replayed 1 file, 2 pairs');
    expect(await cuesOf(store, 'r1')).toEqual(['a', 'b']);
    expect(readdirSync(dir)).toEqual([]);
  });


  // Checked: with salvage.ts reading the file without its trust check (fse.readFile, as
  // before), both files' lines went into a new pending file owned by this user, the
  // quarantined originals were deleted, and replay applied them: this failed on the exit code.
  it("refuses another user's file and a group-writable one, as the queue and a plain retry do: nothing applied, the file kept (exit 1)", async () => {
    const store = await makeStore(['r1']);
    const dir = spillDirOf(store);
    writeRawFile(dir, 'theirs.jsonl', `${line('r1', 'forged')}\n`);
    writeRawFile(dir, 'loose.jsonl', `${line('r1', 'loose')}\n`);
    const theirs = await quarantineSpillFile(dir, 'theirs.jsonl', 'by hand');
    const loose = await quarantineSpillFile(dir, 'loose.jsonl', 'by hand');
    chownSync(join(dir, theirs), 4242, 4242);
    chmodSync(join(dir, loose), 0o660);
    for (const [q, why] of [[theirs, /is owned by uid 4242, not this process \(uid 0\): never applied; if you trust it, chown it/], [loose, /is writable by group or others \(mode 0660\): never applied; if you trust it, chmod 600 it/]] as const) {
      const before = readFileSync(join(dir, q));
      const r = await provq('spill', 'retry', join(dir, q), '--salvage', '--store', store);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(readFileSync(join(dir, q))).toEqual(before);
      expect(existsSync(join(dir, `${q}.reason.json`))).toBe(true);
    }
    expect(pendingIn(dir)).toEqual([]);
    expect((await provq('spill', 'replay', '--store', store)).code).toBe(0);
    expect(await cuesOf(store, 'r1')).toEqual([]);
  });
});

describe('provq spill retry', () => {
  it('exits 1 on a file that is still malformed and leaves it quarantined; once fixed, renames it back', async () => {
    const store = await makeStore(['r1']);
    const dir = spillDirOf(store);
    writeRawFile(dir, 'fixme.jsonl', `${line('r1', 'x')}\n{"recordId":"r1","entry":{"ts":"yesterday","cue":"y","sessionId":"s"}}\n`);
    const q = await quarantineSpillFile(dir, 'fixme.jsonl', 'line 2: entry.ts');
    const before = readFileSync(join(dir, q));

    const bad = await provq('spill', 'retry', join(dir, q));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/still malformed: line 2: entry\.ts: ts must be an ISO-8601/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(dir, q))).toEqual(before);
    expect(existsSync(join(dir, `${q}.reason.json`))).toBe(true);

    writeFileSync(join(dir, q), `${line('r1', 'x')}\n${line('r1', 'y')}\n`);
    const ok = await provq('spill', 'retry', join(dir, q));
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['fixme.jsonl']);
    expect((await provq('spill', 'replay', '--store', store)).code).toBe(0);
    expect(await cuesOf(store, 'r1')).toEqual(['x', 'y']);
  });

  // Checked: with the isInSpillDir check removed from spill-retry.ts, the stray file was
  // renamed to x.jsonl and this failed on the exit code and the directory listing.
  it('refuses a quarantined-looking file outside any spill directory, renaming nothing (exit 1)', async () => {
    const dir = tempDir('provq-stray-');
    writeFileSync(join(dir, 'x.failed-1.jsonl'), `${line('r1', 'x')}\n`);
    for (const extra of [[], ['--salvage']]) {
      const r = await provq('spill', 'retry', join(dir, 'x.failed-1.jsonl'), ...extra);
      expect(r.code, extra.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/x\.failed-1\.jsonl: not in a spill directory .*nothing was renamed: move it back into the spill directory it was quarantined in, then retry/);
      expect(r.stdout).toBe('');
      expect(readdirSync(dir)).toEqual(['x.failed-1.jsonl']);
    }
  });

  // Checked: with the name check back in the zod schema, the message began "FILE:" again.
  it('names the file as given when it is not a quarantined file (exit 2)', async () => {
    const r = await provq('spill', 'retry', './nope.jsonl');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'provq: ./nope.jsonl: not a quarantined spill file (<name>.failed-<ms>.jsonl); provq spill status lists them',
    );
  });

  // Checked: with count() replaced by `${n} pairs` again, this read "(1 pairs)".
  it('counts in English: 1 pair, 1 file', async () => {
    const store = await makeStore(['r1']);
    const dir = spillDirOf(store);
    writeRawFile(dir, 'one.jsonl', `${line('r1', 'x')}\n`);
    const q = await quarantineSpillFile(dir, 'one.jsonl', 'by hand');
    const r = await provq('spill', 'retry', join(dir, q), '--store', store);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('one.jsonl is back in line (1 pair);');
    expect(r.stdout).toContain(`replayed 1 file, 1 pair into ${store}`);
  });
});
