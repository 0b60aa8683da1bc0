// The newest entry id a host's local files hold: pairs acknowledged but not yet in the
// database (journal segments of a killed process, spill files of an outage). A restart must
// start its ids above them, also on a clock stepped back since; file names cannot say it
// (they carry the wall time of the write, which a step moves away from the ids).
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import fse from 'fs-extra';
import { isPendingName } from '../../spill/spill-file-name.js';

/**
 * The top-level `entryId` of a line as the queue writes it (`{"recordId":…,"entryId":…`),
 * issued by this library (not a derived `file:` id). Anchored at the line's start, so an
 * `entryId` key nested in an entry's extra fields is never taken for it.
 */
const LINE_ID = /^\{"recordId":"(?:[^"\\\n]|\\.)*","entryId":"(\d{13})-(?!file:)/gm;

/** The newest ms in the entry ids of the pending files in these dirs (0 when none). */
export async function newestLocalEntryMs(dirs: string[]): Promise<number> {
  let newest = 0;
  for (const dir of dirs) {
    const names = await fse.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!isPendingName(name)) continue;
      const ms = await newestInFile(join(dir, name));
      if (ms > newest) newest = ms;
    }
  }
  return newest;
}

/** Streams the file line by line (bounded memory); a file that vanished or cannot be read counts 0. */
async function newestInFile(path: string): Promise<number> {
  let newest = 0;
  let carry = '';
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const text = carry + (chunk as string);
      const end = text.lastIndexOf('\n') + 1;
      newest = Math.max(newest, newestInLines(text.slice(0, end)));
      carry = text.slice(end);
    }
  } catch {
    return newest; // read back (and deleted) meanwhile, or unreadable: the queue deals with it
  }
  return Math.max(newest, newestInLines(carry));
}

function newestInLines(text: string): number {
  let newest = 0;
  for (const m of text.matchAll(LINE_ID)) {
    const ms = Number(m[1]);
    if (ms > newest) newest = ms;
  }
  return newest;
}
