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
export function spillLine([recordId, entry]: IdentifiedPair): string {
  const id = entry.entryId === undefined ? '' : `,"entryId":${JSON.stringify(entry.entryId)}`;
  return `{"recordId":${JSON.stringify(recordId)}${id},"entry":${JSON.stringify(entry)}}\n`;
}

export function serializeSpillLines(pairs: readonly IdentifiedPair[]): string {
  let out = '';
  for (let i = 0; i < pairs.length; i++) out += spillLine(pairs[i]!);
  return out;
}

/** Characters per piece of a spill file as it is written. */
const CHUNK_CHARS = 32 * 1024;

/**
 * The lines in pieces of about 32 KiB. A whole file as one string would be a large object,
 * which V8 keeps in the old generation until a full collection: under a long overload that
 * is most of the heap's growth. Small pieces die young.
 */
export function* spillTextChunks(pairs: readonly IdentifiedPair[]): Generator<string> {
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    out += spillLine(pairs[i]!);
    if (out.length >= CHUNK_CHARS) {
      yield out;
      out = '';
    }
  }
  if (out) yield out;
}

/** One spill file written: its name and how many pairs it holds. */
export interface SpillFileWritten {
  name: string;
  pairs: number;
}

export class SpillWriter {
  constructor(readonly dir: string) {}

  /** Writes durable spill files and returns their names, oldest first. */
  async append(pairs: readonly IdentifiedPair[]): Promise<SpillFileWritten[]> {
    // Named and written out before the first await: a spill that starts later (one from
    // enqueue, say) holds newer pairs and must sort after this file.
    const name = newSpillFileName();
    await ensureSpillDir(this.dir);
    return [{ name: await writeDurably(this.dir, name, spillTextChunks(pairs)), pairs: pairs.length }];
  }

  /** The same, without yielding: for process exit and backpressure. */
  appendSync(pairs: readonly IdentifiedPair[]): SpillFileWritten[] {
    ensureSpillDirSync(this.dir);
    return [{ name: writeDurablySync(this.dir, newSpillFileName(), spillTextChunks(pairs)), pairs: pairs.length }];
  }
}

/** A file's content: whole, or in pieces written one after another. */
type Content = string | Uint8Array | Iterable<string>;

function pieces(content: Content): Iterable<string | Uint8Array> {
  return typeof content === 'string' || content instanceof Uint8Array ? [content] : content;
}

export async function writeDurably(dir: string, name: string, content: Content): Promise<string> {
  const target = join(dir, name);
  const tmp = `${target}.tmp`;
  const fd = await fse.open(tmp, 'wx', 0o600);
  try {
    for (const piece of pieces(content)) await fse.writeFile(fd, piece); // an fd: appends at its position
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

export function writeDurablySync(dir: string, name: string, content: Content): string {
  const target = join(dir, name);
  const tmp = `${target}.tmp`;
  const fd = fse.openSync(tmp, 'wx', 0o600);
  try {
    for (const piece of pieces(content)) fse.writeFileSync(fd, piece);
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
