// The owner marker of a spill dir, as a bad day leaves it: written half (a full disk), or
// raced by two queues of different sinks starting at once.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpillDirOwnedError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { assertDirOwner, OWNER_FILE, readDirOwner } from '../../src/spill/dir-owner.js';
import { RecordingSink } from '../helpers/sinks.js';
import { smallFs } from '../helpers/small-fs.js';
import { tempDir } from '../helpers/temp.js';

describe('spill dir owner marker', () => {
  // Checked: before, an empty marker made assertDirOwner recurse until "Maximum call stack
  // size exceeded" (a RangeError, and seconds of a blocked event loop on every spill).
  it('an empty (torn) marker is refused with an error naming the marker and what to do', () => {
    const dir = tempDir();
    writeFileSync(join(dir, OWNER_FILE), '');
    const q = new ProvenanceWriteQueue({ ...new RecordingSink(), sinkId: 'sink-a', appendProvenanceBatch: async () => {} }, { spillDir: dir, logger: silentLogger, durability: 'memory' });
    expect(() => q.start()).toThrow(SpillDirOwnedError);
    expect(() => q.start()).toThrow(/\.provq-sink cannot be read \(it is empty\); if the directory is this store's, delete the marker/);
  });

  // Checked: with the marker written in place (writeFileSync 'wx'), a full disk leaves an
  // empty marker behind and the second call throws.
  it('on a full disk the marker is not written at all, and is written whole once space is back', () => {
    const fs = smallFs(1);
    try {
      const dir = join(fs.dir, 'spill');
      mkdirSync(dir, { mode: 0o700 });
      fs.fill();
      expect(assertDirOwner(dir, 'sink-a', 'spill directory')).toBe(false);
      expect(existsSync(join(dir, OWNER_FILE))).toBe(false);
      expect(readdirSync(dir)).toEqual([]); // no temp file left either
      fs.free();
      expect(assertDirOwner(dir, 'sink-a', 'spill directory')).toBe(true);
      expect(readDirOwner(dir)).toBe('sink-a');
      expect(() => assertDirOwner(dir, 'sink-b', 'spill directory')).toThrow(/belongs to sink sink-a, not to this queue's sink sink-b/);
    } finally {
      fs.unmount();
    }
  });
});
