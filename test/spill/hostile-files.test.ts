// Anyone else on the machine: a spill dir left group- or world-writable, and files dropped
// in it by another user (a real other uid, 65534 `nobody`; we are root) or writable by
// others. None is applied; each is quarantined with the reason.
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpillDirError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { readSpillFile, scanSpillFile } from '../../src/spill/spill-reader.js';
import { RecordingSink } from '../helpers/sinks.js';
import { handLine, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const NOBODY = 65534;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startQueue(sink: RecordingSink, spillDir: string): ProvenanceWriteQueue {
  const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, durability: 'memory', idlePollMs: 50, exitHook: false });
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  return q;
}

describe('hostile spill dirs and files', () => {
  // Checked: with assertSafe not looking at the mode, the 0777 dir stays 0777.
  it('a world-writable spill dir this user owns is tightened to 0700 before anything is read', () => {
    const dir = join(tempDir(), 'spill');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    startQueue(new RecordingSink(), dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  // Checked: this passed before too (the uid check existed); kept so the refusal stays.
  it("a spill dir owned by another user is refused, naming it", () => {
    const dir = join(tempDir(), 'spill');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY, NOBODY);
    const q = new ProvenanceWriteQueue(new RecordingSink(), { spillDir: dir, logger: silentLogger, durability: 'memory', exitHook: false });
    expect(() => q.start()).toThrow(SpillDirError);
    expect(() => q.start()).toThrow(/belongs to uid 65534/);
  });

  // Checked: before, both files were applied (the sink saw 'forged' and 'loose') and deleted.
  it("a file owned by another user, or writable by group or others, is quarantined with the reason, never applied", async () => {
    const dir = join(tempDir(), 'spill');
    writeRawFile(dir, 'forged.jsonl', `${handLine('r1', 'forged')}\n`);
    chownSync(join(dir, 'forged.jsonl'), NOBODY, NOBODY);
    writeRawFile(dir, 'loose.jsonl', `${handLine('r1', 'loose')}\n`);
    chmodSync(join(dir, 'loose.jsonl'), 0o666);
    writeRawFile(dir, 'fine.jsonl', `${handLine('r1', 'fine')}\n`);
    const sink = new RecordingSink();
    const q = startQueue(sink, dir);
    expect(await until(() => q.stats().quarantinedFiles === 2 && sink.cues().includes('fine'), 30_000)).toBe(true);
    expect(sink.cues()).toEqual(['fine']);
    const reasons = readdirSync(dir)
      .filter((n) => n.endsWith('.reason.json'))
      .map((n) => (JSON.parse(readFileSync(join(dir, n), 'utf8')) as { file: string; reason: string }))
      .sort((a, b) => a.file.localeCompare(b.file));
    expect(reasons.map((r) => r.file)).toEqual(['forged.jsonl', 'loose.jsonl']);
    expect(reasons[0]!.reason).toMatch(/owned by uid 65534/);
    expect(reasons[1]!.reason).toMatch(/writable by group or others \(mode 0666\)/);
  });

  // `provq spill retry` reads a file with readSpillFile, read-back's validating pass with
  // scanSpillFile: each must refuse such a file itself, with the reason.
  // Checked: with the whole-file reader's untrusted result emptied (`{}`) or its reason
  // `""` (small-spill-file.ts), this fails.
  it('every reader refuses a file another user owns, or others may write, naming why', async () => {
    const dir = join(tempDir(), 'spill');
    writeRawFile(dir, 'forged.jsonl', `${handLine('r1', 'forged')}\n`);
    chownSync(join(dir, 'forged.jsonl'), NOBODY, NOBODY);
    writeRawFile(dir, 'loose.jsonl', `${handLine('r1', 'loose')}\n`);
    chmodSync(join(dir, 'loose.jsonl'), 0o666);
    for (const read of [readSpillFile, scanSpillFile]) {
      expect(await read(join(dir, 'forged.jsonl'), 'forged.jsonl')).toEqual({ kind: 'untrusted', reason: expect.stringMatching(/^owned by uid 65534, not this process .*chown it, then: provq spill retry <file>$/) });
      expect(await read(join(dir, 'loose.jsonl'), 'loose.jsonl')).toEqual({ kind: 'untrusted', reason: expect.stringMatching(/^writable by group or others \(mode 0666\).*chmod 600 it, then: provq spill retry <file>$/) });
    }
  });
});
