// A spill file written into a spill dir this process just made is durable only when the
// new directories' names are too: before append() returns, the parent of the first
// directory made, each made one and the spill dir itself are fsync'd — once, not on every
// spill. Seen through node:fs: a power cut losing the names cannot be shown on the
// filesystems these tests can mount (see test/journal/journal-dir-sync.test.ts).
import { fsyncs, restore } from '../helpers/fsync-recorder.js'; // first: before fs-extra loads
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import { pair } from '../helpers/sinks.js';
import { tempDir } from '../helpers/temp.js';

afterAll(restore);

const under = (root: string) => () => fsyncs.filter((e) => e.startsWith(`dir ${root}`));

describe('a spill into a spill dir made for it', () => {
  // Checked: with SpillWriter's parent fsyncs removed (only its own dir, the behaviour
  // before), both cases fail on the missing `dir <root>` and `dir <root>/made`; with
  // parentsDurable never called, the second spill fsyncs the parents again and fails.
  it('fsyncs the directories made for it before append() resolves, once', async () => {
    const root = tempDir();
    const spillDir = join(root, 'made', 'spill');
    const mine = under(root);
    const w = new SpillWriter(spillDir);
    await w.append([pair('r1', 'first')]);
    expect(mine()).toEqual([`dir ${root}`, `dir ${join(root, 'made')}`, `dir ${spillDir}`]);
    await w.append([pair('r1', 'second')]);
    expect(mine()).toEqual([`dir ${root}`, `dir ${join(root, 'made')}`, `dir ${spillDir}`, `dir ${spillDir}`]);
  });

  it('does the same without yielding (the exit and backpressure path)', () => {
    const root = tempDir();
    const spillDir = join(root, 'made', 'spill');
    const mine = under(root);
    new SpillWriter(spillDir).appendSync([pair('r1', 'first')]);
    expect(mine()).toEqual([`dir ${root}`, `dir ${join(root, 'made')}`, `dir ${spillDir}`]);
  });
});
