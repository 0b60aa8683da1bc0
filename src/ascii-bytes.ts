// ASCII written into byte buffers (the spill line encoder, entry ids), four bytes a store
// through a DataView: written a byte at a time (each store checked on its own), a line's
// ~140 bytes cost about 3× more. Every function returns the offset after what it wrote,
// NO_ROOM or NOT_PLAIN.

/** What was asked does not fit before `limit`. */
export const NO_ROOM = -1;
/** A string with a character JSON escapes or writes in several bytes: not written here. */
export const NOT_PLAIN = -2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bytes known ahead (a line's fixed parts, a key): as big-endian words and the last 0–3 bytes. */
export class KnownBytes {
  readonly length: number;
  private readonly words: number[] = [];
  private readonly tail: number[] = [];

  constructor(bytes: Uint8Array) {
    this.length = bytes.length;
    const whole = bytes.length - (bytes.length % 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < whole; i += 4) this.words.push(view.getUint32(i));
    for (let i = whole; i < bytes.length; i++) this.tail.push(bytes[i]!);
  }

  put(dst: DataView, off: number, limit: number): number {
    const end = off + this.length;
    if (end > limit) return NO_ROOM;
    const words = this.words;
    let o = off;
    for (let w = 0; w < words.length; w++, o += 4) dst.setUint32(o, words[w]!);
    const tail = this.tail;
    for (let t = 0; t < tail.length; t++) dst.setUint8(o + t, tail[t]!);
    return end;
  }
}

/** `s`'s characters (all below 0x80) as KnownBytes. */
export function knownAscii(s: string): KnownBytes {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new KnownBytes(bytes);
}

/** A DataView over the buffer last asked for, kept: an encoder writes many lines into one buffer. */
export class ViewOf {
  private buf: Uint8Array | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));

  of(buf: Uint8Array): DataView {
    if (buf !== this.buf) {
      this.buf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.view;
  }
}

/** A character JSON writes as it is, in one byte: printable ASCII (and DEL) but `"` and `\`. */
function isPlain(c: number): boolean {
  return c >= 0x20 && c <= 0x7f && c !== QUOTE && c !== BACKSLASH;
}

/** A string JSON writes as it is, one byte a character (see isPlain); else NOT_PLAIN. */
export function putPlainString(s: string, dst: DataView, off: number, limit: number): number {
  const n = s.length;
  if (off + n > limit) return NO_ROOM;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if (!isPlain(c0) || !isPlain(c1) || !isPlain(c2) || !isPlain(c3)) return NOT_PLAIN;
    dst.setUint32(off + i, ((c0 << 24) | (c1 << 16) | (c2 << 8) | c3) >>> 0);
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isPlain(c)) return NOT_PLAIN;
    dst.setUint8(off + i, c);
  }
  return off + n;
}

/** JSON.stringify's output (escaped already): as it is, when it is ASCII; else NOT_PLAIN. */
export function putJsonAscii(s: string, dst: DataView, off: number, limit: number): number {
  const n = s.length;
  if (off + n > limit) return NO_ROOM;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return NOT_PLAIN;
    dst.setUint8(off + i, c);
  }
  return off + n;
}

/** `n` bytes from `src` at `from` to `dst` at `off` (the caller checked that they fit). */
export function copyBytes(src: DataView, from: number, n: number, dst: DataView, off: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) dst.setUint32(off + i, src.getUint32(from + i));
  for (; i < n; i++) dst.setUint8(off + i, src.getUint8(from + i));
}
