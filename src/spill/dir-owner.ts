// A spill or journal directory belongs to one sink: the first queue to use it writes the
// sink's id into a marker file; a queue of another sink is refused, so its pairs are never
// applied to the wrong store (nor deleted there as "unknown records").
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SpillDirOwnedError } from '../errors.js';
import { isExists, publishNoReplaceSync } from './no-replace.js';

/** Not `*.jsonl`, so never taken for a spill file. */
export const OWNER_FILE = '.provq-sink';

export const ANONYMOUS_SINK = 'anonymous';

type Marker = { kind: 'none' } | { kind: 'owner'; sinkId: string } | { kind: 'unreadable'; reason: string };

function readMarker(dir: string): Marker {
  let text: string;
  try {
    text = readFileSync(join(dir, OWNER_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'none' };
    return { kind: 'unreadable', reason: (err as Error).message };
  }
  try {
    const id = (JSON.parse(text) as { sinkId?: unknown }).sinkId;
    if (typeof id === 'string') return { kind: 'owner', sinkId: id };
  } catch {
    // falls through
  }
  return { kind: 'unreadable', reason: text.length === 0 ? 'it is empty' : 'it is not {"sinkId": "..."}' };
}

/** The sink id a directory belongs to, or undefined when it has no readable marker (or does not exist). */
export function readDirOwner(dir: string): string | undefined {
  const m = readMarker(dir);
  return m.kind === 'owner' ? m.sinkId : undefined;
}

/** Who checks a directory (named in the refusal, before its sink id) and what they should do instead. */
export interface DirAsker {
  who: string;
  fix(what: string): string;
}

const QUEUE_ASKER: DirAsker = {
  who: "this queue's sink",
  fix: (what) => `give each store its own ${what} (its pairs are applied only to the sink that wrote them)`,
};

/**
 * Checks that an existing directory belongs to `sinkId`, marking it as this sink's when it
 * has no marker yet (written whole or not at all: temp file, fsync, link). Returns false when
 * the directory does not exist or cannot be marked now (a full disk: tried again next time).
 * Throws SpillDirOwnedError naming both sinks, or the marker that cannot be read.
 */
export function assertDirOwner(dir: string, sinkId: string, what: string, asker: DirAsker = QUEUE_ASKER): boolean {
  let marker = readMarker(dir);
  if (marker.kind === 'none') {
    const made = writeMarker(dir, sinkId);
    if (made !== 'exists') return made;
    marker = readMarker(dir); // another queue marked it first: check its mark
  }
  if (marker.kind === 'unreadable') {
    throw new SpillDirOwnedError(
      `${what} ${dir}: its owner marker ${join(dir, OWNER_FILE)} cannot be read (${marker.reason}); ` +
        `if the directory is this store's, delete the marker and start again (it is rewritten), else point the queue at another ${what}`,
    );
  }
  if (marker.kind === 'owner' && marker.sinkId !== sinkId) {
    throw new SpillDirOwnedError(
      `${what} ${dir} belongs to sink ${marker.sinkId}, not to ${asker.who} ${sinkId}; ${asker.fix(what)}`,
    );
  }
  return marker.kind === 'owner';
}

function writeMarker(dir: string, sinkId: string): boolean | 'exists' {
  const target = join(dir, OWNER_FILE);
  const tmp = `${target}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, `${JSON.stringify({ sinkId })}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    publishNoReplaceSync(tmp, target);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (fd !== undefined) closeSync(fd);
    // Not where a dir that is gone, or a path through a file, would make this throw ENOTDIR.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') rmSync(tmp, { force: true });
    if (isExists(err)) return 'exists';
    // Gone, full or read-only: nothing can be spilled there either; marking is tried again next time.
    return false;
  }
}
