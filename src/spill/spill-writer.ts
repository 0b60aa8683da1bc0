// Writes spill files so that a reader never sees half of one: `<name>.tmp` (0600), fsync,
// link to the final name (never replacing a file), fsync the directory. Files are capped by
// bytes and pairs, so no file the queue writes is larger than its own reader takes.
import { dirname, join } from 'node:path';
import fse from 'fs-extra';
import { MAX_SPILL_LINE_BYTES, type ProvenanceEntry, type ProvenancePair } from '../schemas.js';
import { ensureSpillDir, ensureSpillDirSync, parentsDurable, parentsNotDurable } from './spill-dir.js';
import { newSpillFileName } from './spill-file-name.js';
import { isExists, publishNoReplace, publishNoReplaceSync } from './no-replace.js';
import { filesOfLines, type EncodedLines, type FilePart, type SpillFileCaps } from './spill-file-parts.js';


/** Pairs whose entries carry their `entryId`, as the queue hands them to a sink. */
export type IdentifiedPair = ProvenancePair;

/**
 * One line per pair: `{"recordId","entryId","entry"}`. The id is written once, on the line
 * (the reader gives it back to the entry); the entry is written without it.
 */
export function spillLine([recordId, entry]: IdentifiedPair): string {
  const entryId = entry.entryId;
  if (entryId === undefined) return `{"recordId":${JSON.stringify(recordId)},"entry":${JSON.stringify(entry)}}\n`;
  const id = NEEDS_NO_ESCAPE.test(entryId) ? `"${entryId}"` : JSON.stringify(entryId);
  return `{"recordId":${JSON.stringify(recordId)},"entryId":${id},"entry":${entryJsonWithoutId(entry, id)}}\n`;
}

/** The ids the library assigns are written as they are (the journal's hot path); others through JSON.stringify. */
const NEEDS_NO_ESCAPE = /^[0-9a-z-]{1,64}$/;

/**
 * `JSON.stringify(entry)` without its `entryId` member, with no copy of the entry when the id
 * is its last key (the queue sets it last). The text ends with `,"entryId":<id>}` only then:
 * the quotes before the key and the id follow `,` and `:`, so they open tokens, not escapes.
 */
function entryJsonWithoutId(entry: ProvenanceEntry, idJson: string): string {
  const json = JSON.stringify(entry);
  const tail = `,"entryId":${idJson}}`;
  if (json.endsWith(tail)) return `${json.slice(0, json.length - tail.length)}}`;
  const { entryId: _, ...fields } = entry;
  return JSON.stringify(fields);
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

/** No file the queue writes holds more: its own reader takes lines up to the same size. */
export const MAX_SPILL_FILE_BYTES = MAX_SPILL_LINE_BYTES;
export const MAX_SPILL_FILE_PAIRS = 16_384;

const DEFAULT_CAPS: SpillFileCaps = { bytes: MAX_SPILL_FILE_BYTES, pairs: MAX_SPILL_FILE_PAIRS };

/**
 * The pairs as files of at most `caps.pairs` pairs and `caps.bytes` bytes (a single pair
 * larger than that gets a file of its own), each as pieces of about 32 KiB.
 */
function* spillParts(pairs: readonly IdentifiedPair[], caps: SpillFileCaps): Generator<FilePart> {
  let i = 0;
  while (i < pairs.length) {
    const from = i;
    let bytes = 0;
    const pieces = function* (): Generator<string> {
      let out = '';
      while (i < pairs.length && i - from < caps.pairs) {
        const line = spillLine(pairs[i]!);
        const n = Buffer.byteLength(line);
        if (i > from && bytes + n > caps.bytes) break;
        bytes += n;
        out += line;
        i++;
        if (out.length >= CHUNK_CHARS) {
          yield out;
          out = '';
        }
      }
      if (out) yield out;
    };
    yield { pieces: pieces(), count: () => i - from };
  }
}

/**
 * A spill's parts share its name's place in line: `<stem>.jsonl` alone, `<stem>-p0001.jsonl`…
 * when split; `tag` goes before `.jsonl` (`-journal`: a file the journal's readers take).
 */
function partName(stem: string, part: number, parts: 'one' | 'several', tag: string): string {
  return parts === 'one' ? `${stem}${tag}.jsonl` : `${stem}-p${String(part).padStart(4, '0')}${tag}.jsonl`;
}

export class SpillWriter {
  constructor(
    readonly dir: string,
    private readonly caps: SpillFileCaps = DEFAULT_CAPS,
    /**
     * Before `.jsonl` in every name, kept on a collision's name too: `-journal` for salvaged
     * pairs in a journal directory, whose readers take only journal segment names.
     */
    private readonly tag = '',
  ) {}

  /** Writes durable spill files (capped by bytes and pairs) and returns them, oldest first. */
  append(pairs: readonly IdentifiedPair[]): Promise<SpillFileWritten[]> {
    return this.writeParts(spillParts(pairs, this.caps));
  }

  /** The same, without yielding: for process exit and backpressure. */
  appendSync(pairs: readonly IdentifiedPair[]): SpillFileWritten[] {
    return this.writePartsSync(spillParts(pairs, this.caps));
  }

  /**
   * Lines already encoded (overflow is kept as spill lines), written the same way: split by
   * the same caps at line boundaries, no line copied.
   */
  appendLines(pieces: readonly EncodedLines[]): Promise<SpillFileWritten[]> {
    return this.writeParts(filesOfLines(pieces, this.caps));
  }

  appendLinesSync(pieces: readonly EncodedLines[]): SpillFileWritten[] {
    return this.writePartsSync(filesOfLines(pieces, this.caps));
  }

  private async writeParts(parts: Iterator<FilePart>): Promise<SpillFileWritten[]> {
    // Named before the first await: a spill that starts later (one from enqueue, say)
    // holds newer pairs and must sort after every part of this one.
    const stem = newSpillFileName().replace(/\.jsonl$/, '');
    await ensureSpillDir(this.dir);
    const written: SpillFileWritten[] = [];
    let part = parts.next();
    for (let k = 1; !part.done; k++) {
      const tmp = join(this.dir, `${stem}-p${String(k).padStart(4, '0')}.jsonl.tmp`);
      await writeTmpDurably(tmp, part.value.pieces);
      const count = part.value.count();
      part = parts.next();
      const name = await publishUnique(tmp, this.dir, partName(stem, k, k === 1 && part.done ? 'one' : 'several', this.tag), this.tag);
      written.push({ name, pairs: count });
    }
    const parents = parentsNotDurable(this.dir);
    for (const d of parents) await syncDir(d);
    await syncDir(this.dir);
    parentsDurable(this.dir, parents);
    return written;
  }

  private writePartsSync(parts: Iterator<FilePart>): SpillFileWritten[] {
    const stem = newSpillFileName().replace(/\.jsonl$/, '');
    ensureSpillDirSync(this.dir);
    const written: SpillFileWritten[] = [];
    let part = parts.next();
    for (let k = 1; !part.done; k++) {
      const tmp = join(this.dir, `${stem}-p${String(k).padStart(4, '0')}.jsonl.tmp`);
      writeTmpDurablySync(tmp, part.value.pieces);
      const count = part.value.count();
      part = parts.next();
      const name = publishUniqueSync(tmp, this.dir, partName(stem, k, k === 1 && part.done ? 'one' : 'several', this.tag), this.tag);
      written.push({ name, pairs: count });
    }
    const parents = parentsNotDurable(this.dir);
    for (const d of parents) syncDirSync(d);
    syncDirSync(this.dir);
    parentsDurable(this.dir, parents);
    return written;
  }
}


/** On a name taken already (pid reuse, a clock step), `<stem>-c1.jsonl`, `-c2`…: right after it in line. */
function collisionName(name: string, k: number, tag: string): string {
  return `${name.slice(0, name.length - `${tag}.jsonl`.length)}-c${k}${tag}.jsonl`;
}

async function publishUnique(tmp: string, dir: string, name: string, tag: string): Promise<string> {
  for (let k = 0; ; k++) {
    const candidate = k === 0 ? name : collisionName(name, k, tag);
    try {
      await publishNoReplace(tmp, join(dir, candidate));
      return candidate;
    } catch (err) {
      if (!isExists(err) || k >= 100) {
        await fse.rm(tmp, { force: true }).catch(() => {});
        throw err;
      }
    }
  }
}

function publishUniqueSync(tmp: string, dir: string, name: string, tag: string): string {
  for (let k = 0; ; k++) {
    const candidate = k === 0 ? name : collisionName(name, k, tag);
    try {
      publishNoReplaceSync(tmp, join(dir, candidate));
      return candidate;
    } catch (err) {
      if (!isExists(err) || k >= 100) {
        fse.rmSync(tmp, { force: true });
        throw err;
      }
    }
  }
}

async function writeTmpDurably(tmp: string, content: Content): Promise<void> {
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
}

function writeTmpDurablySync(tmp: string, content: Content): void {
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
}

/** A file's content: whole, or in pieces written one after another. */
type Content = string | Uint8Array | Iterable<string | Uint8Array>;

function pieces(content: Content): Iterable<string | Uint8Array> {
  return typeof content === 'string' || content instanceof Uint8Array ? [content] : content;
}

/** One file under `name`, never replacing one already there (EEXIST then). */
export async function writeDurably(dir: string, name: string, content: Content): Promise<string> {
  const target = join(dir, name);
  const tmp = `${target}.tmp`;
  await writeTmpDurably(tmp, content);
  try {
    await publishNoReplace(tmp, target);
  } catch (err) {
    await fse.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  await syncDir(dirname(target));
  return name;
}

/** Writes `name` whole, replacing the file there (for a file that is meant to be rewritten). */
export async function replaceFileDurably(dir: string, name: string, content: Content): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  await writeTmpDurably(tmp, content);
  await fse.rename(tmp, join(dir, name));
  await syncDir(dir);
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
