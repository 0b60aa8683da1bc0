// A command applies a spill or journal directory only to the store it belongs to: the
// directory's owner marker (.provq-sink, written by the first queue to use it) must name the
// store given on the command line. Checked before any file is applied, renamed or recovered,
// so a wrong --store (or --dir) changes nothing: another store's pairs are never written into
// this one, nor deleted from their own directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertDirOwner, OWNER_FILE, type DirAsker } from '../spill/dir-owner.js';
import type { CliStore } from './open-store.js';

/**
 * Throws SpillDirOwnedError (exit 1) when `dir` belongs to another sink, or its marker cannot
 * be read. A directory with no marker (made by hand, or by a version before markers) is
 * accepted and left as it is: the command does not mark it.
 */
export function assertStoreOwnsDir(store: CliStore, dir: string, what: 'spill directory' | 'journal directory'): void {
  if (!existsSync(join(dir, OWNER_FILE))) return;
  const asker: DirAsker = {
    who: `the store given (${store.label}), sink`,
    fix: () => 'nothing was applied or moved; pass the store it belongs to (provq spill status shows its files)',
  };
  assertDirOwner(dir, store.sinkId, what, asker);
}
