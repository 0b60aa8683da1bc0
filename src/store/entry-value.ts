// A provenance entry's LMDB value, written straight into bytes for the entries nearly every
// workload makes — a plain object whose fields are ASCII strings, finite numbers, booleans
// or null — in the format lmdb's own encoder (msgpackr, no shared structures) writes: a
// MessagePack record with its definition inline (fixext 1, type "r", the keys as an array,
// then the values in order), so every reader of the store, this version or an older one,
// decodes it as it decodes the rest. msgpackr builds the record's structure again for
// each value it encodes (~1.8 µs and ~280 bytes of garbage a pair here); this keeps the
// last shape's header as bytes. Anything else is left to msgpackr: the caller is told so.
import { asBinary } from 'lmdb';
import { objectPrototypeIsPlain } from '../json-data.js';
import type { StoredProvenanceEntry } from '../schemas.js';

/** Fields past which an entry is left to msgpackr (fixarray and one-byte record ids). */
const MAX_FIELDS = 15;
/** A string past this many characters is left to msgpackr (str8 holds up to 255 bytes). */
const MAX_STRING = 255;
/** Where values are written: a fresh chunk when this one is full; LMDB holds a view of it until written. */
const CHUNK_BYTES = 64 * 1024;
/** The largest value this path writes: a fitting entry is far smaller. */
const MAX_VALUE_BYTES = 4 * 1024;
/** msgpackr's first own-record id: what it writes for a value's only record. */
const RECORD_ID = 0x40;

export class EntryValueEncoder {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private at = 0;
  /** The last shape: its keys, and the record header written for them. */
  private keys: string[] = [];
  private header: Uint8Array = new Uint8Array(0);

  /** The entry's value for `put`, or the entry itself when msgpackr must encode it. */
  valueOf(entry: StoredProvenanceEntry): StoredProvenanceEntry | ReturnType<typeof asBinary> {
    const bytes = this.encode(entry);
    return bytes ? asBinary(bytes) : entry;
  }

  /** The entry's bytes, or null when it is not a plain entry this path writes. */
  encode(entry: StoredProvenanceEntry): Buffer | null {
    const proto = Object.getPrototypeOf(entry) as unknown;
    if ((proto !== Object.prototype && proto !== null) || !objectPrototypeIsPlain()) return null;
    if (this.chunk.length - this.at < MAX_VALUE_BYTES) {
      this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.at = 0;
    }
    let end = this.write(entry as unknown as Record<string, unknown>);
    if (end === SHAPE_CHANGED) {
      const keys = Object.keys(entry);
      const header = keys.length <= MAX_FIELDS ? recordHeader(keys) : null;
      if (!header) return null;
      this.keys = keys;
      this.header = header;
      end = this.write(entry as unknown as Record<string, unknown>);
    }
    if (end < 0) return null;
    const start = this.at;
    this.at = end;
    return this.chunk.subarray(start, end);
  }

  /** The last shape's header, then the values: the end, SHAPE_CHANGED, or -1 for a value this path does not write. */
  private write(fields: Record<string, unknown>): number {
    const buf = this.chunk;
    const keys = this.keys;
    const header = this.header;
    let o = this.at;
    const limit = o + MAX_VALUE_BYTES;
    for (let i = 0; i < header.length; i++) buf[o++] = header[i]!;
    let n = 0;
    for (const k in fields) {
      if (keys[n] !== k) return SHAPE_CHANGED;
      n++;
      o = putValue(fields[k], buf, o, limit);
      if (o < 0) return -1;
    }
    return n === keys.length ? o : SHAPE_CHANGED;
  }
}

const SHAPE_CHANGED = -2;

/** `d4 72 40`, then the keys as a fixarray of strings; null for a key this path does not write. */
function recordHeader(keys: string[]): Uint8Array | null {
  const out = Buffer.alloc(4 + keys.length * (2 + MAX_STRING));
  let o = 0;
  out[o++] = 0xd4;
  out[o++] = 0x72;
  out[o++] = RECORD_ID;
  out[o++] = 0x90 | keys.length;
  for (const k of keys) {
    o = putString(k, out, o, out.length);
    if (o < 0) return null;
  }
  return new Uint8Array(out.subarray(0, o));
}

/** A value as msgpackr writes it: ASCII strings, finite numbers, booleans, null; -1 for anything else. */
function putValue(v: unknown, buf: Buffer, o: number, limit: number): number {
  if (typeof v === 'string') return putString(v, buf, o, limit);
  if (o + 9 > limit) return -1;
  if (typeof v === 'number') {
    if (v >>> 0 === v) {
      // msgpackr's own rule for a non-negative integer (it writes -0 as 0 too). Bytes
      // 0x40–0x7f are record references to its decoder, so 64–127 take two bytes.
      if (v < 0x40) buf[o++] = v;
      else if (v < 0x100) {
        buf[o++] = 0xcc;
        buf[o++] = v;
      } else if (v < 0x10000) {
        buf[o++] = 0xcd;
        buf[o++] = v >> 8;
        buf[o++] = v & 0xff;
      } else {
        buf[o++] = 0xce;
        buf.writeUInt32BE(v, o);
        o += 4;
      }
      return o;
    }
    if (v >> 0 === v) {
      // a negative 32-bit integer, as msgpackr writes it
      if (v >= -0x20) buf[o++] = 0x100 + v;
      else if (v >= -0x80) {
        buf[o++] = 0xd0;
        buf[o++] = v + 0x100;
      } else if (v >= -0x8000) {
        buf[o++] = 0xd1;
        buf.writeInt16BE(v, o);
        o += 2;
      } else {
        buf[o++] = 0xd2;
        buf.writeInt32BE(v, o);
        o += 4;
      }
      return o;
    }
    if (!Number.isFinite(v)) return -1;
    buf[o++] = 0xcb;
    buf.writeDoubleBE(v, o);
    return o + 8;
  }
  if (v === true) buf[o++] = 0xc3;
  else if (v === false) buf[o++] = 0xc2;
  else if (v === null) buf[o++] = 0xc0;
  else return -1;
  return o;
}

/** fixstr or str8 of an ASCII string (one byte a character); -1 for anything else. */
function putString(s: string, buf: Buffer | Uint8Array, o: number, limit: number): number {
  const n = s.length;
  if (n > MAX_STRING || o + 2 + n > limit) return -1;
  if (n < 32) buf[o++] = 0xa0 | n;
  else {
    buf[o++] = 0xd9;
    buf[o++] = n;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    buf[o + i] = c;
  }
  return o + n;
}
