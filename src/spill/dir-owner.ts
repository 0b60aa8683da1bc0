// A spill or journal directory belongs to one sink: the first queue to use it writes the
// sink's id into a marker file; a queue of another sink is refused, so its pairs are never
// applied to the wrong store (nor deleted there as "unknown records").
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpillDirOwnedError } from '../errors.js';

/** Not `*.jsonl`, so never taken for a spill file. */
export const OWNER_FILE = '.provq-sink';

export const ANONYMOUS_SINK = 'anonymous';

/** The sink id a directory belongs to, or undefined when it has no marker (or does not exist). */
export function readDirOwner(dir: string): string | undefined {
  try {
    const id = (JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as { sinkId?: unknown }).sinkId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks that an existing directory belongs to `sinkId`, marking it as this sink's when it
 * has no marker yet. Returns false when the directory does not exist (nothing to check).
 * Throws SpillDirOwnedError naming both sinks otherwise.
 */
export function assertDirOwner(dir: string, sinkId: string, what: string): boolean {
  const owner = readDirOwner(dir);
  if (owner === undefined) {
    try {
      writeFileSync(join(dir, OWNER_FILE), `${JSON.stringify({ sinkId })}\n`, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code === 'EEXIST') return assertDirOwner(dir, sinkId, what); // another queue marked it first: check its mark
      // A full or read-only disk: nothing can be spilled there either; marking is tried again next time.
      return false;
    }
    return true;
  }
  if (owner !== sinkId) {
    throw new SpillDirOwnedError(
      `${what} ${dir} belongs to sink ${owner}, not to this queue's sink ${sinkId}; give each store its own ${what} ` +
        `(its pairs are applied only to the sink that wrote them)`,
    );
  }
  return true;
}
