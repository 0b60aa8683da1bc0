// The rest of a dead writer's journal segment whose zeros have data after them (a power cut
// wrote a later page and lost an earlier one): the lines before the first NUL byte are
// applied, and the bytes from the line holding it to the end are set aside here, exactly as
// they were, as a quarantined file `provq spill retry --salvage` takes.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { SpillFileChangedError } from '../errors.js';
import { isExists } from './no-replace.js';
import type { QuarantineReason } from './quarantine.js';
import { OPEN_SPILL_FILE } from './small-spill-file.js';
import { quarantineNameFor, reasonFileFor } from './spill-file-name.js';
import type { JournalRest } from './spill-line-judge.js';
import { writeDurably } from './spill-writer.js';

export interface RestSetAside {
  /** The quarantined file: `<segment stem>.failed-<ms>.jsonl`. */
  as: string;
  /** The segment's line the rest begins with, and its bytes (from `from` to the end). */
  line: number;
  bytes: number;
  reason: string;
}

/** Copied this many bytes at a time: a segment's rest is up to its size (64 MiB), never held whole. */
const COPY_BYTES = 1024 * 1024;

/**
 * Writes the rest of segment `name` (in `dir`) durably to a quarantined file with its reason,
 * never replacing a file. The rest follows as many empty lines as lines were applied, so each
 * of its lines keeps its line number in the segment (as salvage keeps the bad lines'): a
 * salvage judges and names them as a reader of the segment would. Throws
 * SpillFileChangedError when the file is not the one scanned (`version`).
 */
export async function setAsideJournalRest(dir: string, name: string, rest: JournalRest, version: string, applied: number): Promise<RestSetAside> {
  const fd = openSync(join(dir, name), OPEN_SPILL_FILE);
  try {
    const st = fstatSync(fd);
    if (`${st.ino}:${st.size}:${st.mtimeMs}` !== version) {
      throw new SpillFileChangedError(`journal segment ${name} changed while it was being read back; it is read again`);
    }
    const bytes = st.size - rest.from;
    const reason =
      `a NUL byte at file offset ${rest.nul} (line ${rest.line}) with data after it: zeros before data, as a power cut leaves when a later page ` +
      `reached the disk and an earlier one did not; ${applied} ${applied === 1 ? 'pair' : 'pairs'} before line ${rest.line} applied, the rest (${bytes} bytes, ` +
      `from line ${rest.line} to the end, kept as they were) is set aside here; apply its complete lines with: provq spill retry <file> --salvage --store PATH`;
    const as = await publishRest(dir, name, () => restContent(fd, rest, st.size));
    const record: QuarantineReason = { file: name, quarantinedAs: as, reason, at: new Date().toISOString() };
    await writeDurably(dir, reasonFileFor(as), `${JSON.stringify(record, null, 2)}\n`);
    return { as, line: rest.line, bytes, reason };
  } finally {
    closeSync(fd);
  }
}

/** The rest's content, read from `fd` as it is written: empty lines for the lines applied, then its bytes. */
function* restContent(fd: number, rest: JournalRest, size: number): Generator<Uint8Array> {
  yield Buffer.alloc(rest.line - 1, 0x0a);
  const buf = Buffer.allocUnsafe(Math.min(COPY_BYTES, Math.max(1, size - rest.from)));
  for (let at = rest.from; at < size; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - at), at);
    if (n === 0) throw new SpillFileChangedError(`journal segment was cut short while its rest was set aside; it is read again`);
    yield buf.subarray(0, n); // written before the next read reuses buf
    at += n;
  }
}

/** Under the first free quarantine name (one of the same millisecond taken: the next). */
async function publishRest(dir: string, name: string, content: () => Iterable<Uint8Array>): Promise<string> {
  for (let now = Date.now(); ; now++) {
    try {
      return await writeDurably(dir, quarantineNameFor(name, now), content());
    } catch (err) {
      if (!isExists(err)) throw err;
    }
  }
}
