// What the journal writes at the end of a turn: the turn's batches, formatted as spill lines
// into one reused buffer, and overflow's lines, already formatted (overflow wrote them as
// enqueue took the batch: they are copied, not formatted a second time). Cut into writes of
// at most a chunk and a spill file's pairs, at line ends, in the order they were added.
import { identifiedPair, type PendingBatch } from '../queue/pending-batches.js';
import { NO_ROOM, SpillLineEncoder } from '../spill/spill-line-encoder.js';
import { MAX_SPILL_FILE_PAIRS, spillLine } from '../spill/spill-writer.js';

/** A turn's lines are written in pieces of at most this many bytes (and never past a segment). */
export const CHUNK_BYTES = 256 * 1024;
/** A turn's item slots are kept up to this many. */
const KEEP_SLOTS = 8192;
/** Copied lines are kept in a buffer of up to this size between turns (a burst's is let go). */
const KEEP_COPY_BYTES = 1024 * 1024;

/** Overflow's lines of this turn: [start, end) of the copy buffer. */
interface CopiedLines {
  start: number;
  end: number;
  pairs: number;
}

type Item = PendingBatch | CopiedLines;

function isCopied(item: Item): item is CopiedLines {
  return typeof item.pairs === 'number';
}

export class TurnLines {
  /** This turn's items: slots [0, count). The array is kept, so adding does not grow it every turn. */
  private items: (Item | undefined)[] = [];
  private itemCount = 0;
  /** Overflow's lines, copied when added: overflow reuses its buffers once it has spilled them. */
  private copies = Buffer.allocUnsafe(0);
  private copiedBytes = 0;
  /** Where a turn's lines are gathered before a write; reused, so it stays warm. */
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Writes most lines straight into `chunk`, reusing what a pair shares with the one before. */
  private readonly encoder = new SpillLineEncoder();
  private bytes = 0;
  private count = 0;

  /** `write(bytes, pairs)`: one write of whole lines; `bytes` is valid only during the call. */
  constructor(private readonly write: (bytes: Buffer, pairs: number) => void) {}

  get pending(): number {
    return this.itemCount;
  }

  addBatch(b: PendingBatch): void {
    this.items[this.itemCount++] = b;
  }

  /** Lines formatted already (whole lines, `pairs` of them), copied now. */
  addLines(lines: Uint8Array, pairs: number): void {
    const start = this.copiedBytes;
    const end = start + lines.length;
    if (end > this.copies.length) {
      const grown = Buffer.allocUnsafe(Math.max(end, 2 * this.copies.length, 64 * 1024));
      this.copies.copy(grown, 0, 0, start);
      this.copies = grown;
    }
    this.copies.set(lines, start);
    this.copiedBytes = end;
    const last = this.itemCount > 0 ? this.items[this.itemCount - 1]! : undefined;
    if (last && isCopied(last) && last.end === start) {
      last.end = end;
      last.pairs += pairs;
    } else this.items[this.itemCount++] = { start, end, pairs };
  }

  /** Forgets what was added (the journal writes something else instead). */
  clear(): void {
    for (let k = 0; k < this.itemCount; k++) this.items[k] = undefined;
    this.itemCount = 0;
    this.copiedBytes = 0;
  }

  /** Writes every item added, in order, in writes of at most `chunkCap` bytes (a line longer than that on its own). */
  flush(chunkCap: number): void {
    const n = this.itemCount;
    this.itemCount = 0;
    this.bytes = 0;
    this.count = 0;
    for (let k = 0; k < n; k++) {
      const item = this.items[k]!;
      this.items[k] = undefined;
      if (isCopied(item)) this.putCopied(item, chunkCap);
      else this.putBatch(item, chunkCap);
    }
    if (this.count > 0) this.writeChunk();
    this.copiedBytes = 0;
    if (this.copies.length > KEEP_COPY_BYTES) this.copies = Buffer.allocUnsafe(0);
    if (n > KEEP_SLOTS) this.items = []; // a burst does not pin its slots
  }

  private writeChunk(): void {
    this.write(this.chunk.subarray(0, this.bytes), this.count);
    this.bytes = 0;
    this.count = 0;
  }

  /**
   * The batch's pairs, formatted into the chunk (its fill kept in locals: the journal's hot
   * loop). A pair the byte encoder does not take goes through `spillLine`.
   */
  private putBatch(b: PendingBatch, chunkCap: number): void {
    const chunk = this.chunk;
    let bytes = this.bytes;
    let count = this.count;
    // The id of a pair without one, from its numbers (the sink's write makes its string).
    const idMs = b.identified ? -1 : b.ms;
    for (let i = 0; i < b.pairs.length; i++) {
      const pair = b.pairs[i]!;
      if (count >= MAX_SPILL_FILE_PAIRS) {
        this.write(chunk.subarray(0, bytes), count);
        bytes = 0;
        count = 0;
      }
      let end = this.encoder.encode(pair[0], pair[1], chunk, bytes, chunkCap, idMs, b.seq0 + i);
      if (end === NO_ROOM && count > 0) {
        this.write(chunk.subarray(0, bytes), count);
        bytes = 0;
        count = 0;
        end = this.encoder.encode(pair[0], pair[1], chunk, 0, chunkCap, idMs, b.seq0 + i);
      }
      if (end >= 0) {
        bytes = end;
        count++;
        continue;
      }
      // The general path: a line the encoder does not take, or one larger than a chunk.
      const line = spillLine(identifiedPair(b, i));
      const n = Buffer.byteLength(line);
      if (count > 0 && n > chunkCap - bytes) {
        this.write(chunk.subarray(0, bytes), count);
        bytes = 0;
        count = 0;
      }
      if (n > chunkCap) {
        this.write(Buffer.from(line), 1); // on its own (a segment of its own if need be)
        continue;
      }
      bytes += chunk.write(line, bytes);
      count++;
    }
    this.bytes = bytes;
    this.count = count;
  }

  /** Copied lines into the chunk, cut at line ends where the chunk fills. */
  private putCopied(item: CopiedLines, chunkCap: number): void {
    const src = this.copies;
    let at = item.start;
    let left = item.pairs;
    while (left > 0) {
      const room = chunkCap - this.bytes;
      const pairRoom = MAX_SPILL_FILE_PAIRS - this.count;
      let cut = item.end;
      let k = left;
      if (item.end - at > room || left > pairRoom) {
        // The whole lines that fit.
        cut = at;
        k = 0;
        while (k < left && k < pairRoom) {
          const next = src.indexOf(0x0a, cut) + 1;
          if (next - at > room) break;
          cut = next;
          k++;
        }
      }
      if (k > 0) {
        src.copy(this.chunk, this.bytes, at, cut);
        this.bytes += cut - at;
        this.count += k;
        at = cut;
        left -= k;
      } else if (this.count > 0) this.writeChunk();
      else {
        // A line longer than a chunk, on its own.
        const next = src.indexOf(0x0a, at) + 1;
        this.write(src.subarray(at, next), 1);
        at = next;
        left--;
      }
    }
  }
}
