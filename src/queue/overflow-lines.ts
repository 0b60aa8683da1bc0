// Overflow held as spill lines, not as pair objects. A batch that finds memory full is
// written at once, byte for byte as its spill file will hold it (the journal's byte encoder),
// into reused buffers; its objects die young. Under a long overload the pairs waiting for
// the disk (up to 16,384 gathered and as many being written) were what V8 promoted to its
// old generation and let pile up as garbage; as lines they are a few MB of buffers, and the
// spill write copies nothing. Lines become pairs again only where pairs are needed: as a
// sink call takes them (memory is empty then: it holds only pairs older than overflow's),
// after a failed spill, at exit.
import { NO_ROOM, NOT_PLAIN, SpillLineEncoder } from '../spill/spill-line-encoder.js';
import { spillLine, type IdentifiedPair } from '../spill/spill-writer.js';
import { identifiedBatch, identifiedPair, type PendingBatch } from './pending-batches.js';

/** Bytes of one reused buffer of lines. */
const RUN_BYTES = 256 * 1024;
/** Pairs in one run at most (a spill file takes up to 16,384: whole runs fit in it). */
const RUN_MAX_PAIRS = 4096;
/** Emptied buffers kept for the next runs while overflow lasts (none once it is over). */
const KEEP_BUFFERS = 16;

/**
 * Consecutive overflow batches as lines in one buffer. Lines [readAt, bytes) are the pairs
 * not yet taken; `parts` are the batches (or the part of a batch that fitted), oldest first.
 */
export interface LineRun {
  buf: Buffer;
  bytes: number;
  readAt: number;
  /** Pairs left in the run. */
  pairs: number;
  /** Per batch part: its pair count and its lowest sequence number; parts before `head` are taken. */
  readonly partPairs: number[];
  readonly partSeq: number[];
  head: number;
  /** Some pairs came with an entryId of their own. */
  inputIds: boolean;
  /** A buffer made for one long line: not kept for reuse. */
  oversize: boolean;
}

/** The lines of a run that are left, as one piece of a spill file. */
export function runLines(r: LineRun): { bytes: Uint8Array; pairs: number } {
  return { bytes: r.buf.subarray(r.readAt, r.bytes), pairs: r.pairs };
}

/** The lowest sequence number left in the run. */
function runMinSeq(r: LineRun): number {
  return r.partSeq[r.head]!;
}

export class OverflowLines {
  private readonly runs: LineRun[] = [];
  private readonly spare: Buffer[] = [];
  private readonly encoder = new SpillLineEncoder();
  /** Pairs held, in all runs. */
  pairs = 0;

  /** The lowest sequence number held (Infinity when empty). */
  get minSeq(): number {
    return this.runs.length > 0 ? runMinSeq(this.runs[0]!) : Infinity;
  }

  /** Adds a batch's pairs (from its offset on) as lines; each entry gets its entryId first. */
  add(b: PendingBatch): void {
    let partRun: LineRun | undefined;
    let partStart = b.offset;
    for (let i = b.offset; i < b.pairs.length; i++) {
      const run = this.writeLine(identifiedPair(b, i));
      if (run === partRun) continue;
      // A batch whose lines go on in the next run counts as two parts there.
      if (partRun) notePart(partRun, b, partStart, i);
      partRun = run;
      partStart = i;
    }
    if (partRun) notePart(partRun, b, partStart, b.pairs.length);
    this.pairs += b.pairs.length - b.offset;
  }

  /**
   * Adds a batch as the caller handed it to `enqueue`, checked and written as lines in one
   * pass (SpillLineEncoder.encodeInput), pair `i` with the id of `seq0 + i`: no copy of its
   * entries and no id strings, for pairs that only pass through. Returns the batch's lines
   * (a view, valid until they are spilled or taken), or null — nothing added — for a batch
   * not in the common shape, one larger than a run, or an empty one: then parsePairs and `add`.
   */
  addInput(pairs: readonly unknown[], ms: number, seq0: number): Uint8Array | null {
    const n = pairs.length;
    if (n === 0 || n > RUN_MAX_PAIRS) return null;
    const last = this.runs.at(-1);
    let run = last !== undefined && !last.oversize && last.pairs + n <= RUN_MAX_PAIRS ? last : undefined;
    let end = run ? this.encodeInputs(pairs, n, ms, seq0, run.buf, run.bytes) : NO_ROOM;
    if (end === NO_ROOM) {
      const buf = this.spare.pop() ?? Buffer.allocUnsafe(RUN_BYTES);
      end = this.encodeInputs(pairs, n, ms, seq0, buf, 0);
      if (end < 0) {
        this.spare.push(buf);
        return null;
      }
      run = this.pushRun(buf, false);
    }
    if (end < 0 || !run) return null;
    const start = run.bytes;
    run.bytes = end;
    run.pairs += n;
    run.partPairs.push(n);
    run.partSeq.push(seq0);
    this.pairs += n;
    return run.buf.subarray(start, end);
  }

  /** Takes whole runs from the front, up to `maxPairs` (at least one run): for one spill. */
  takeForSpill(maxPairs: number): LineRun[] {
    let count = 0;
    let k = 0;
    while (k < this.runs.length && (k === 0 || count + this.runs[k]!.pairs <= maxPairs)) count += this.runs[k++]!.pairs;
    this.pairs -= count;
    return this.runs.splice(0, k);
  }

  /** Puts runs taken for a spill that failed back in front, as they were. */
  giveBack(runs: LineRun[]): void {
    for (const r of runs) this.pairs += r.pairs;
    this.runs.unshift(...runs);
  }

  /** Runs whose lines are written (or decoded) and no longer needed: their buffers are reused. */
  recycle(runs: readonly LineRun[]): void {
    if (this.runs.length === 0) {
      this.spare.length = 0; // the overload is over: an idle queue keeps no buffers
      return;
    }
    for (const r of runs) if (!r.oversize && this.spare.length < KEEP_BUFFERS) this.spare.push(r.buf);
  }

  /**
   * Takes up to `max` pairs from the front, as pairs again, onto `out` (a sink call's pairs:
   * the lines become objects only when a call is about to start). Returns the lowest
   * sequence number taken and whether any came with an entryId of their own.
   */
  takePairs(max: number, out: IdentifiedPair[]): { minSeq: number; inputIds: boolean } {
    let minSeq = Infinity;
    let inputIds = false;
    for (let taken = 0; taken < max && this.runs.length > 0; ) {
      const r = this.runs[0]!;
      const left = r.partPairs[r.head]!;
      const k = Math.min(left, max - taken);
      minSeq = Math.min(minSeq, r.partSeq[r.head]!);
      if (r.inputIds) inputIds = true;
      r.readAt = decodeLines(r.buf, r.readAt, k, out);
      if (k === left) r.head++;
      else {
        // Overflow holds only batches fresh from enqueue: a part's sequence numbers are consecutive.
        r.partPairs[r.head] = left - k;
        r.partSeq[r.head] = r.partSeq[r.head]! + k;
      }
      taken += k;
      r.pairs -= k;
      this.pairs -= k;
      if (r.pairs === 0) this.recycle(this.runs.splice(0, 1));
    }
    return { minSeq, inputIds };
  }

  /** Everything held, as pairs, oldest first; left in place (the journal writes it again after a failed fsync). */
  decodeAll(): PendingBatch[] {
    return OverflowLines.decodeRuns(this.runs);
  }

  /** Runs as pairs again, one batch per run. */
  static decodeRuns(runs: readonly LineRun[]): PendingBatch[] {
    return runs.map(decodeRun);
  }

  /** Everything held, as pairs, oldest first; emptied (the exit drain, a stop deadline). */
  takeAll(): PendingBatch[] {
    const all = this.runs.map(decodeRun);
    this.recycle(this.runs.splice(0));
    this.pairs = 0;
    return all;
  }

  /** Writes one pair's line at the end of the last run, or of a new one; returns the run. */
  private writeLine(pair: IdentifiedPair): LineRun {
    const last = this.runs.at(-1);
    const open = last !== undefined && !last.oversize && last.pairs < RUN_MAX_PAIRS;
    let end = open ? this.encoder.encode(pair[0], pair[1], last.buf, last.bytes, last.buf.length) : NO_ROOM;
    if (end >= 0) return wrote(last!, end);
    if (end === NO_ROOM) {
      const buf = this.spare.pop() ?? Buffer.allocUnsafe(RUN_BYTES);
      end = this.encoder.encode(pair[0], pair[1], buf, 0, buf.length);
      if (end >= 0) return wrote(this.pushRun(buf, false), end);
      this.spare.push(buf);
    }
    // The general path: a pair the byte encoder does not take (not plain ASCII), or a line longer than a run.
    const line = spillLine(pair);
    const n = Buffer.byteLength(line);
    if (open && last.bytes + n <= last.buf.length) return wrote(last, last.bytes + last.buf.write(line, last.bytes));
    const run = n <= RUN_BYTES ? this.pushRun(this.spare.pop() ?? Buffer.allocUnsafe(RUN_BYTES), false) : this.pushRun(Buffer.allocUnsafe(n), true);
    return wrote(run, run.buf.write(line, 0));
  }

  /** Writes the lines of `pairs`' first n from `off` on (nothing counted yet); the end, NO_ROOM or NOT_PLAIN. */
  private encodeInputs(pairs: readonly unknown[], n: number, ms: number, seq0: number, buf: Buffer, off: number): number {
    for (let i = 0; i < n && off >= 0; i++) off = this.encoder.encodeInput(pairs[i], ms, seq0 + i, buf, off, buf.length);
    // A getter of the caller's resized the batch as it was read: its ids were reserved for n.
    return off >= 0 && pairs.length !== n ? NOT_PLAIN : off;
  }

  private pushRun(buf: Buffer, oversize: boolean): LineRun {
    const run: LineRun = { buf, bytes: 0, readAt: 0, pairs: 0, partPairs: [], partSeq: [], head: 0, inputIds: false, oversize };
    this.runs.push(run);
    return run;
  }
}

function wrote(run: LineRun, end: number): LineRun {
  run.bytes = end;
  run.pairs++;
  return run;
}

function notePart(run: LineRun, b: PendingBatch, from: number, to: number): void {
  run.partPairs.push(to - from);
  run.partSeq.push(b.identified ? b.seq0 : b.seq0 + from);
  if (b.inputIds) run.inputIds = true;
}

/** Parses `count` lines from `at` onto `out`; returns the offset after them. */
function decodeLines(buf: Buffer, at: number, count: number, out: IdentifiedPair[]): number {
  for (let k = 0; k < count; k++) {
    const end = buf.indexOf(0x0a, at);
    const line = JSON.parse(buf.toString('utf8', at, end)) as { recordId: string; entryId?: string; entry: IdentifiedPair[1] };
    if (line.entryId !== undefined) line.entry.entryId = line.entryId; // a line carries the id once, on the line
    out.push([line.recordId, line.entry]);
    at = end + 1;
  }
  return at;
}

function decodeRun(r: LineRun): PendingBatch {
  const pairs: IdentifiedPair[] = [];
  decodeLines(r.buf, r.readAt, r.pairs, pairs);
  return identifiedBatch(pairs, runMinSeq(r), r.inputIds);
}
