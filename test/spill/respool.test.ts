import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { SpillDirError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { ProvenancePair, SpillLine } from '../../src/schemas.js';
import { tempDir } from '../helpers/temp.js';
import { RecordingSink } from '../helpers/sinks.js';
import { handLine, writeQueueSpillFile, writeRawFile } from '../helpers/spill-files.js';
import { until } from '../helpers/until.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A sink (of your own, say) that refuses every batch holding the given cue. */
class RefusingSink extends RecordingSink {
  constructor(private readonly refused: string) {
    super();
  }

  override async appendProvenanceBatch(pairs: ProvenancePair[]): Promise<void> {
    if (pairs.some(([, e]) => e.cue === this.refused)) throw new Error(`cue ${this.refused} is not allowed here`);
    return super.appendProvenanceBatch(pairs);
  }
}

function startQueue(sink: RecordingSink, spillDir: string, opts: object = {}) {
  const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, ...opts });
  q.start();
  cleanups.push(() => q.stop());
  return q;
}

describe('re-enqueue and quarantine', () => {
  it('quarantines a malformed bad.jsonl present at start, and applies the valid files beside it', async () => {
    const dir = tempDir();
    await writeQueueSpillFile(dir, 'r1', ['good1', 'good2']);
    writeRawFile(dir, 'bad.jsonl', `${handLine('r1', 'never-applied')}\n{"recordId": "r1", "entry": {oops\n`);
    writeRawFile(dir, 'hand.jsonl', `${handLine('r2', 'hand1')}\n\n${handLine('r2', 'hand2')}\n`);
    const sink = new RecordingSink();
    const q = startQueue(sink, dir);
    const files = () => readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    expect(await until(() => files().length === 1 && sink.pairs.length === 4, 30_000)).toBe(true);
    expect(files()[0]).toMatch(/^bad\.failed-\d+\.jsonl$/);
    expect(existsSync(join(dir, 'bad.jsonl'))).toBe(false);
    expect(sink.cues().sort()).toEqual(['good1', 'good2', 'hand1', 'hand2']);
    expect(q.stats().quarantinedFiles).toBe(1);
    const reason = JSON.parse(readFileSync(join(dir, `${files()[0]}.reason.json`), 'utf8'));
    expect(reason.reason).toMatch(/line 2/);
  });

  it('quarantines bad content of every kind whole, and never reads a quarantined file again', async () => {
    const dir = tempDir();
    const good = handLine('r1', 'ok');
    const cases: Record<string, string | Buffer> = {
      'wrong-type.jsonl': `${good}\n${JSON.stringify({ recordId: 5, entry: { ts: new Date().toISOString(), cue: 'x', sessionId: 's' } })}\n`,
      'missing-field.jsonl': `${good}\n${JSON.stringify({ recordId: 'r1', entry: { cue: 'x', sessionId: 's' } })}\n`,
      'truncated.jsonl': `${good}\n${good.slice(0, 30)}`,
      'garbage.jsonl': Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x0a, 0x7b]),
      'extra-key.jsonl': `${JSON.stringify({ recordId: 'r1', entry: { ts: new Date().toISOString(), cue: 'x', sessionId: 's' }, oops: 1 })}\n`,
      'huge-line.jsonl': `${good}\n{"recordId":"r1","entry":{"ts":"${'x'.repeat(10 * 1024 * 1024)}"}}\n`,
    };
    for (const [name, text] of Object.entries(cases)) writeRawFile(dir, name, text);
    writeRawFile(dir, 'empty.jsonl', '');
    mkdirSync(join(dir, 'a-directory.jsonl'));
    symlinkSync('/etc/hostname', join(dir, 'link.jsonl'));
    const sink = new RecordingSink();
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (f: { file?: unknown }) => warnings.push(String(f.file)) };
    const q = startQueue(sink, dir, { idlePollMs: 50, logger });
    expect(await until(() => q.stats().quarantinedFiles === 6, 30_000)).toBe(true);
    const names = readdirSync(dir);
    for (const name of Object.keys(cases)) {
      expect(names.some((n) => n.startsWith(name.replace('.jsonl', '.failed-')))).toBe(true);
    }
    expect(sink.pairs).toHaveLength(0); // nothing of a bad file is ever applied
    expect(names).toContain('a-directory.jsonl'); // not a file: left alone
    expect(names).toContain('link.jsonl'); // a symlink: never followed
    expect(names).not.toContain('empty.jsonl');
    await new Promise((r) => setTimeout(r, 300)); // several idle polls later
    expect(q.stats().quarantinedFiles).toBe(6);
    expect(warnings.filter((f) => f === 'link.jsonl' || f === 'a-directory.jsonl').sort()).toEqual([
      'a-directory.jsonl',
      'link.jsonl',
    ]); // each skipped once, with a logged reason
  });

  it('sets aside a pair the sink always refuses, applies the rest of its file, and reads the files behind it', async () => {
    const spillDir = join(tempDir(), 'spill');
    const first = await writeQueueSpillFile(spillDir, 'r1', ['a', 'b', 'poison', 'c', 'd', 'e', 'f', 'g']);
    const second = await writeQueueSpillFile(spillDir, 'r1', ['h', 'i']);
    const sink = new RefusingSink('poison');
    const q = startQueue(sink, spillDir, { maxAttempts: 2, retryBaseMs: 5, retryMaxMs: 20, idlePollMs: 50 });
    expect(await until(() => !existsSync(join(spillDir, second)), 30_000)).toBe(true);
    expect([...sink.cues()].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
    expect(existsSync(join(spillDir, first))).toBe(false);
    const set = readdirSync(spillDir).filter((n) => /\.failed-\d+\.jsonl$/.test(n));
    expect(set).toHaveLength(1);
    expect(readFileSync(join(spillDir, set[0]!), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as SpillLine).entry.cue)).toEqual(['poison']);
    expect(readFileSync(join(spillDir, `${set[0]}.reason.json`), 'utf8')).toMatch(/refused 1 of the 8 pairs/);
    expect(q.stats().quarantinedFiles).toBe(1);
  });

  it('sets nothing aside while the sink refuses everything (it is down, not the pairs)', async () => {
    const spillDir = join(tempDir(), 'spill');
    const name = await writeQueueSpillFile(spillDir, 'r1', ['a', 'b', 'c', 'd']);
    const sink = new RecordingSink();
    sink.failNext = 1_000_000;
    const q = startQueue(sink, spillDir, { maxAttempts: 2, retryBaseMs: 5, retryMaxMs: 20, idlePollMs: 50 });
    expect(await until(() => q.stats().writeErrors >= 12, 30_000)).toBe(true);
    expect(readdirSync(spillDir).filter((n) => n.endsWith('.jsonl'))).toEqual([name]);
    sink.failNext = 0;
    expect(await until(() => sink.pairs.length === 4, 30_000)).toBe(true);
  });

  it('replaying the same spill file twice adds nothing twice (real LMDB)', async () => {
    const path = tempDir();
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    cleanups.push(() => store.close());
    await store.insert({ id: 'r1', text: 'x' });
    await store.insert({ id: 'r2', text: 'y' });
    const spillDir = join(path, 'provenance-overflow');
    const name = await writeQueueSpillFile(spillDir, 'r1', ['a', 'b', 'c']);
    const copy = readFileSync(join(spillDir, name));
    writeRawFile(spillDir, 'hand.jsonl', `${handLine('r2', 'h1')}\n${handLine('r2', 'h2')}\n`);
    const handCopy = readFileSync(join(spillDir, 'hand.jsonl'));
    const q = store.enableProvenanceQueue({ idlePollMs: 50 });
    const empty = () => readdirSync(spillDir).filter((n) => n.endsWith('.jsonl')).length === 0;
    expect(await until(empty, 30_000)).toBe(true);
    // A crash between the write and the delete leaves the same files behind again.
    writeRawFile(spillDir, name, copy);
    writeRawFile(spillDir, 'hand.jsonl', handCopy);
    expect(await until(empty, 30_000)).toBe(true);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['a', 'b', 'c']);
    expect((await store.get('r2'))!.provenance.map((e) => e.cue)).toEqual(['h1', 'h2']);
    expect(q.stats().respooledPairs).toBe(10);
    expect(store.stats().duplicatePairs).toBe(5);
  });

  it('refuses a spill directory that is a symlink, naming it', () => {
    const real = tempDir();
    const link = join(tempDir(), 'spill-link');
    symlinkSync(real, link);
    const q = new ProvenanceWriteQueue(new RecordingSink(), { spillDir: link, logger: silentLogger });
    expect(() => q.start()).toThrow(SpillDirError);
    expect(() => q.start()).toThrow(link);
  });
});

describe('spill directory ownership', () => {
  it.runIf(process.getuid?.() === 0)('refuses a spill directory owned by another user (checked as root by chown)', async () => {
    const { chownSync } = await import('node:fs');
    const dir = tempDir();
    chownSync(dir, 65534, 65534);
    const q = new ProvenanceWriteQueue(new RecordingSink(), { spillDir: dir, logger: silentLogger });
    expect(() => q.start()).toThrow(/belongs to uid 65534/);
  });
});
