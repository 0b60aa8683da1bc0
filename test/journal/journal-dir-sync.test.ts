// A new journal segment's name is made durable in its directory — the directory is fsync'd,
// with those made for it — before the segment's first fsync counts, once per segment, not
// per turn. What this checks is that those fsyncs are made, seen through node:fs: a power
// cut that loses the name cannot be shown here, since every filesystem these tests can
// mount (ext4 with or without a journal, ext2 through the ext4 driver, xfs, btrfs) makes a
// new file's name durable on the file's own fsync (checked by hand on a loop device:
// mkfs.ext2, a file fdatasync'd in a new directory, the image copied — the name is there).
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { pair, RecordingSink } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

// What the journal fsyncs, in order: `dir <path>` for a directory, `data <path>` when a
// file's fdatasync has ended. Seen through node:fs (the journal's own import).
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const real = { fsync: fs.fsync, fdatasync: fs.fdatasync };
const events: string[] = [];
const pathOf = (fd: number): string => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '';
  }
};
fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
  events.push(`dir ${pathOf(fd)}`);
  real.fsync(fd, cb);
}) as typeof fs.fsync;
fs.fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
  const path = pathOf(fd);
  real.fdatasync(fd, (err) => {
    events.push(`data ${path}`);
    cb(err);
  });
}) as typeof fs.fdatasync;
syncBuiltinESMExports();
afterAll(() => {
  Object.assign(fs, real);
  syncBuiltinESMExports();
});

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('a new journal segment', () => {
  // Checked: with syncSegment going straight to fdatasync (the behaviour before), no `dir`
  // event is seen and this fails; with the directories fsync'd on every sync (dirSynced
  // never set), the second fsync of the first segment adds `dir` events and this fails;
  // with the directories made for the journal not remembered, only the journal dir is fsync'd.
  it('has its directory, and the directories made for it, fsynced before its first fsync counts; once per segment', { timeout: 30_000 }, async () => {
    const root = tempDir();
    const journalDir = join(root, 'made', 'journal'); // two directories made by the first segment
    const sink = new RecordingSink();
    sink.hold(); // the pairs stay unsaved: each fsync is due
    const q = new ProvenanceWriteQueue(sink, { spillDir: join(tempDir(), 'spill'), journalDir, journalSegmentBytes: 64 * 1024, fsyncMs: 20, coalesceMs: 0, logger: silentLogger, exitHook: false });
    q.start();
    const mine = () => events.filter((e) => e.startsWith(`dir ${root}`) || e.startsWith(`data ${journalDir}/`));
    try {
      q.enqueue([pair('r1', 'first')]);
      expect(await until(() => mine().some((e) => e.startsWith('data ')), 30_000)).toBe(true);
      const first = mine();
      expect(first.slice(0, 4).map((e) => e.replace(/-journal\.jsonl$/, '').replace(/\/\d{13}-\d{6}-\d+$/, '/<segment>'))).toEqual([
        `dir ${root}`,
        `dir ${join(root, 'made')}`,
        `dir ${journalDir}`,
        `data ${journalDir}/<segment>`,
      ]);

      // More turns into the same segment, fsync'd again: no directory fsync.
      for (let t = 0; t < 5; t++) {
        q.enqueue([pair('r1', `more ${t}`)]);
        await nextTurn();
      }
      const dataSoFar = mine().filter((e) => e.startsWith('data ')).length;
      expect(await until(() => mine().filter((e) => e.startsWith('data ')).length > dataSoFar, 30_000)).toBe(true);
      expect(mine().filter((e) => e.startsWith('dir '))).toHaveLength(3);

      // A second segment (the first is full): its directory once more, the made ones not again.
      q.enqueue(Array.from({ length: 400 }, (_, i) => pair('r1', `fill ${i}`, { pad: 'x'.repeat(200) })));
      expect(await until(() => mine().filter((e) => e.startsWith('dir ')).length > 3, 30_000)).toBe(true);
      await until(() => mine().filter((e) => e.startsWith('data ')).length > dataSoFar + 2, 10_000);
      const dirs = () => mine().filter((e) => e.startsWith('dir '));
      const syncedSegments = () => new Set(mine().filter((e) => e.startsWith('data ')).map((e) => e.slice(5))).size;
      // One directory fsync per segment (a segment's fdatasync ends after its directory's).
      expect(await until(() => dirs().length - 2 === syncedSegments(), 30_000)).toBe(true);
      expect(dirs().slice(3).every((e) => e === `dir ${journalDir}`)).toBe(true);
    } finally {
      sink.release();
      await q.stop({ timeoutMs: 5000 });
    }
  });
});
