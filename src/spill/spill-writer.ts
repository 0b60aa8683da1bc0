// Writes spill files so that a reader never sees half of one: `<name>.tmp` (0600),
// fsync, rename, fsync the directory. One call, one file, however many batches.
import { dirname, join } from 'node:path';
import fse from 'fs-extra';
import type { ProvenancePair } from '../schemas.js';
import { ensureSpillDir, ensureSpillDirSync } from './spill-dir.js';
import { newSpillFileName } from './spill-file-name.js';

/** Pairs whose entries carry their `entryId`, as the queue hands them to a sink. */
export type IdentifiedPair = ProvenancePair;

/**
 * One line per pair: `{"recordId","entryId","entry"}`. The entry is written as it is (its own
 * `entryId` included, which the schema allows), so no pair is copied to write it.
 */
export function serializeSpillLines(pairs: readonly IdentifiedPair[]): string {
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    const [recordId, entry] = pairs[i]!;
    const id = entry.entryId === undefined ? '' : `,"entryId":${JSON.stringify(entry.entryId)}`;
    out += `{"recordId":${JSON.stringify(recordId)}${id},"entry":${JSON.stringify(entry)}}\n`;
  }
  return out;
}

export class SpillWriter {
  constructor(readonly dir: string) {}

  /** Writes one durable spill file and returns its name. */
  async append(pairs: readonly IdentifiedPair[]): Promise<string> {
    // Named and written out before the first await: a spill that starts later (one from
    // enqueue, say) holds newer pairs and must sort after this file.
    const name = newSpillFileName();
    const text = serializeSpillLines(pairs);
    await ensureSpillDir(this.dir);
    return writeDurably(this.dir, name, text);
  }

  /** The same, without yielding: for process exit. */
  appendSync(pairs: readonly IdentifiedPair[]): string {
    ensureSpillDirSync(this.dir);
    return writeDurablySync(this.dir, newSpillFileName(), serializeSpillLines(pairs));
  }
}

export async function writeDurably(dir: string, name: string, text: string | Uint8Array): Promise<string> {
  const target = join(dir, name);
  const tmp = `${target}.tmp`;
  const fd = await fse.open(tmp, 'wx', 0o600);
  try {
    await fse.writeFile(fd, text);
    await fse.fsync(fd);
  } catch (err) {
    await fse.close(fd).catch(() => {});
    await fse.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  await fse.close(fd);
  await fse.rename(tmp, target);
  await syncDir(dirname(target));
  return name;
}

export function writeDurablySync(dir: string, name: string, text: string): string {
  const target = join(dir, name);
  const tmp = `${target}.tmp`;
  const fd = fse.openSync(tmp, 'wx', 0o600);
  try {
    fse.writeFileSync(fd, text);
    fse.fsyncSync(fd);
  } catch (err) {
    fse.closeSync(fd);
    fse.rmSync(tmp, { force: true });
    throw err;
  }
  fse.closeSync(fd);
  fse.renameSync(tmp, target);
  syncDirSync(dirname(target));
  return name;
}

async function syncDir(dir: string): Promise<void> {
  const fd = await fse.open(dir, 'r');
  try {
    await fse.fsync(fd);
  } finally {
    await fse.close(fd);
  }
}

function syncDirSync(dir: string): void {
  const fd = fse.openSync(dir, 'r');
  try {
    fse.fsyncSync(fd);
  } finally {
    fse.closeSync(fd);
  }
}
