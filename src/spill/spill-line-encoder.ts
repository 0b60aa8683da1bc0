// The journal's hot path: a spill line written straight into a byte buffer, byte for byte
// what `spillLine` writes, for the pairs that make up nearly every workload — strings of
// printable ASCII that JSON writes as they are. No string is built per pair (no line, no
// pieces for the collector), and what a pair shares with the one before (its keys, and
// the timestamp, cue and session of one recall's hits) is copied as bytes, not re-read.
// Anything else (a character JSON escapes or UTF-8 writes in several bytes, an unusual
// entry) is left to `spillLine`, the general path: the caller is told so.
import { ENTRY_ID_BYTES, writeEntryId } from '../entry-id.js';
import { objectPrototypeIsPlain } from '../json-data.js';
import { MAX_RECORD_ID_LENGTH, type ProvenanceEntry } from '../schemas.js';
import { isValidTs } from '../validate.js';
import { copyBytes, KnownBytes, knownAscii, NO_ROOM, NOT_PLAIN, putJsonAscii, putPlainString, ViewOf } from '../ascii-bytes.js';

/** The line does not fit between `off` and `limit`: NO_ROOM. The pair is not one this path writes (use `spillLine`): NOT_PLAIN. */
export { NO_ROOM, NOT_PLAIN };

const QUOTE = 0x22;

const LINE_START = knownAscii('{"recordId":"');
const ENTRY_ID = knownAscii('","entryId":"');
const ENTRY = knownAscii('","entry":{');
const LINE_END = knownAscii('}}\n');

/** Keys and values of this many leading fields are remembered, by position. */
const SLOTS = 16;
/** A value is remembered up to this many characters (a timestamp, a cue, a session id). */
const REMEMBERED_CHARS = 64;

export class SpillLineEncoder {
  /** Per field position: the key, whether its value was a string, and `,"key":"` as bytes. */
  private readonly keys: (string | null)[] = new Array<string | null>(SLOTS).fill(null);
  private readonly keyOfString: boolean[] = new Array<boolean>(SLOTS).fill(false);
  private readonly keyBytes: KnownBytes[] = new Array<KnownBytes>(SLOTS).fill(knownAscii(''));
  /** Per field position: the last string value (as written: plain) and its bytes. */
  private readonly values: (string | null)[] = new Array<string | null>(SLOTS).fill(null);
  private readonly valueBytes = new DataView(new ArrayBuffer(SLOTS * REMEMBERED_CHARS));
  /** The buffer lines are written into, as a DataView (kept: one buffer takes many lines). */
  private readonly views = new ViewOf();

  /**
   * Writes `spillLine([recordId, entry])` into `buf` at `off`, within `limit`. Returns the
   * offset after the line, NO_ROOM or NOT_PLAIN; then the bytes from `off` on mean nothing.
   * An entry without an entryId gets `formatEntryId(idMs, idSeq)` on the line when `idMs`
   * is given, written from the numbers: its string is made where it is used (a string made
   * for the journal's line, at enqueue, would live on until the sink's write).
   */
  encode(recordId: string, entry: ProvenanceEntry, buf: Buffer, off: number, limit: number, idMs = -1, idSeq = 0): number {
    // A toJSON method, or an enumerable key that is not the entry's own (for…in lists those,
    // JSON.stringify does not), would make the walk below differ from JSON.stringify.
    const proto = Object.getPrototypeOf(entry) as unknown;
    if ((proto !== Object.prototype && proto !== null) || !objectPrototypeIsPlain() || typeof (entry as { toJSON?: unknown }).toJSON === 'function') {
      return NOT_PLAIN;
    }
    const dst = this.views.of(buf);
    let o = LINE_START.put(dst, off, limit);
    if (o < 0) return o;
    o = putPlainString(recordId, dst, o, limit);
    if (o < 0) return o;
    const entryId = entry.entryId;
    if (entryId !== undefined) {
      o = ENTRY_ID.put(dst, o, limit);
      if (o < 0) return o;
      if (typeof entryId !== 'string') return NOT_PLAIN;
      o = putPlainString(entryId, dst, o, limit);
      if (o < 0) return o;
    } else if (idMs >= 0) {
      o = putIdFromNumbers(idMs, idSeq, dst, o, limit);
      if (o < 0) return o;
    }
    o = ENTRY.put(dst, o, limit);
    if (o < 0) return o;
    let slot = 0;
    for (const k in entry) {
      if (k === 'entryId') continue; // on the line already, once
      const v = (entry as Record<string, unknown>)[k];
      const isString = typeof v === 'string';
      let json: string | undefined;
      if (!isString) {
        json = JSON.stringify(v) as string | undefined; // numbers, booleans, null, nested data
        if (json === undefined) continue; // undefined, a function, a symbol: JSON leaves the key out
      }
      o = this.putKey(k, isString, slot, dst, o, limit);
      if (o < 0) return o;
      if (isString) {
        o = this.putValue(v, slot, dst, o, limit);
        if (o < 0) return o;
        if (o >= limit) return NO_ROOM;
        dst.setUint8(o++, QUOTE);
      } else {
        o = putJsonAscii(json!, dst, o, limit);
        if (o < 0) return o;
      }
      slot++;
    }
    return LINE_END.put(dst, o, limit);
  }

  /**
   * A pair as a caller handed it to `enqueue`, checked and written in one pass, as the line
   * of the pair `parsePairs` would queue with the id of `ms`/`seq` (overflow: no copy of the
   * entry and no id string is made for a pair that only passes through). Each field is read
   * once, so what is checked is what is written: a getter cannot answer the check one thing
   * and the line another. Only the common shape is taken — a plain entry whose fields are
   * plain-ASCII strings, finite numbers, booleans or null, with a valid ts, cue and
   * sessionId and no entryId of its own; anything else is NOT_PLAIN, and the caller takes
   * the general path (parsePairs: its copy, or its error naming the field).
   */
  encodeInput(pair: unknown, ms: number, seq: number, buf: Buffer, off: number, limit: number): number {
    if (!Array.isArray(pair) || pair.length !== 2) return NOT_PLAIN;
    const recordId: unknown = pair[0];
    const entry: unknown = pair[1];
    if (typeof recordId !== 'string' || recordId.length === 0 || recordId.length > MAX_RECORD_ID_LENGTH) return NOT_PLAIN;
    if (typeof entry !== 'object' || entry === null) return NOT_PLAIN;
    const proto = Object.getPrototypeOf(entry) as unknown;
    if ((proto !== Object.prototype && proto !== null) || !objectPrototypeIsPlain()) return NOT_PLAIN;
    const fields = entry as Record<string, unknown>;
    // An id of its own (an entry read back from a store) may be stored already: the general path.
    if (fields.entryId !== undefined) return NOT_PLAIN;
    const dst = this.views.of(buf);
    let o = LINE_START.put(dst, off, limit);
    if (o < 0) return o;
    o = putPlainString(recordId, dst, o, limit); // refuses \u0000 too, as the schema does
    if (o < 0) return o;
    o = putIdFromNumbers(ms, seq, dst, o, limit);
    if (o < 0) return o;
    o = ENTRY.put(dst, o, limit);
    if (o < 0) return o;
    let slot = 0;
    let required = 0;
    for (const k in fields) {
      if (k === 'entryId' || k === '__proto__' || slot >= MAX_INPUT_FIELDS) return NOT_PLAIN;
      const v = fields[k];
      if (typeof v === 'string') {
        if (k === 'ts') {
          if (!isValidTs(v)) return NOT_PLAIN;
          required |= HAS_TS;
        } else if (k === 'cue') required |= HAS_CUE;
        else if (k === 'sessionId') required |= HAS_SESSION;
        o = this.putKey(k, true, slot, dst, o, limit);
        if (o < 0) return o;
        o = this.putValue(v, slot, dst, o, limit);
        if (o < 0) return o;
        if (o >= limit) return NO_ROOM;
        dst.setUint8(o++, QUOTE);
      } else {
        if (k === 'ts' || k === 'cue' || k === 'sessionId') return NOT_PLAIN;
        let json: string;
        if (typeof v === 'number') {
          if (!Number.isFinite(v)) return NOT_PLAIN;
          json = String(v); // JSON.stringify's text for a finite number
        } else if (typeof v === 'boolean') json = v ? 'true' : 'false';
        else if (v === null) json = 'null';
        else return NOT_PLAIN; // nested data, undefined, a function, ...: parsePairs decides
        o = this.putKey(k, false, slot, dst, o, limit);
        if (o < 0) return o;
        o = putJsonAscii(json, dst, o, limit);
        if (o < 0) return o;
      }
      slot++;
    }
    if (required !== HAS_ALL) return NOT_PLAIN;
    return LINE_END.put(dst, o, limit);
  }

  /** `"key":` (with a comma before it past the first field, and the opening quote of a string value). */
  private putKey(k: string, isString: boolean, slot: number, dst: DataView, o: number, limit: number): number {
    if (slot < SLOTS && this.keys[slot] === k && this.keyOfString[slot] === isString) return this.keyBytes[slot]!.put(dst, o, limit);
    const start = o;
    if (slot > 0) {
      if (o >= limit) return NO_ROOM;
      dst.setUint8(o++, 0x2c); // ,
    }
    if (o >= limit) return NO_ROOM;
    dst.setUint8(o++, QUOTE);
    o = putPlainString(k, dst, o, limit);
    if (o < 0) return o;
    o = (isString ? KEY_END_STRING : KEY_END).put(dst, o, limit);
    if (o < 0) return o;
    if (slot < SLOTS) {
      this.keys[slot] = k;
      this.keyOfString[slot] = isString;
      this.keyBytes[slot] = new KnownBytes(new Uint8Array(dst.buffer, dst.byteOffset + start, o - start)); // copied into words
    }
    return o;
  }

  /** A string value (without its quotes): copied from the last one in this position when it is the same. */
  private putValue(v: string, slot: number, dst: DataView, o: number, limit: number): number {
    const n = v.length;
    if (slot >= SLOTS || n > REMEMBERED_CHARS) return putPlainString(v, dst, o, limit);
    const at = slot * REMEMBERED_CHARS;
    if (this.values[slot] === v) {
      if (o + n > limit) return NO_ROOM;
      copyBytes(this.valueBytes, at, n, dst, o);
      return o + n;
    }
    const end = putPlainString(v, dst, o, limit);
    if (end < 0) return end;
    copyBytes(dst, o, n, this.valueBytes, at);
    this.values[slot] = v;
    return end;
  }
}

const KEY_END_STRING = knownAscii('":"');

/** `","entryId":"` and formatEntryId(ms, seq), written from the numbers. */
function putIdFromNumbers(ms: number, seq: number, dst: DataView, off: number, limit: number): number {
  const o = ENTRY_ID.put(dst, off, limit);
  if (o < 0) return o;
  const end = writeEntryId(ms, seq, dst, o, limit);
  if (end < 0) return o + ENTRY_ID_BYTES > limit ? NO_ROOM : NOT_PLAIN;
  return end;
}

/** Fields of an input entry past which encodeInput leaves it to parsePairs (whose budget is 10,000 values). */
const MAX_INPUT_FIELDS = 1000;
const HAS_TS = 1;
const HAS_CUE = 2;
const HAS_SESSION = 4;
const HAS_ALL = HAS_TS | HAS_CUE | HAS_SESSION;
const KEY_END = knownAscii('":');
