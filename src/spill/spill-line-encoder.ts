// The journal's hot path: spill lines byte for byte as `spillLine` writes them, built from
// the pieces the previous pair left behind. The pairs of one recall (and of a steady
// workload) repeat their keys, timestamp, cue and session: those are escaped once and
// reused, and every other string that JSON would write as it is skips JSON.stringify.
import type { ProvenanceEntry } from '../schemas.js';

/**
 * A string JSON.stringify would not write as `"<s>"` as it is: a quote, a backslash, a
 * control character or a surrogate (a lone one is escaped; a paired one is left to
 * JSON.stringify too, which writes it as it is).
 */
const NEEDS_STRINGIFY = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Keys and values of this many leading fields are remembered, by position. */
const SLOTS = 16;

function jsonString(s: string): string {
  return NEEDS_STRINGIFY.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** No enumerable key was added to Object.prototype (a for…in over it costs about 2 ns). */
function objectPrototypeIsPlain(): boolean {
  for (const _ in Object.prototype) return false;
  return true;
}

export class SpillLineEncoder {
  private readonly keys: string[] = new Array<string>(SLOTS).fill('');
  private readonly keysJson: string[] = new Array<string>(SLOTS).fill('"":');
  private readonly values: string[] = new Array<string>(SLOTS).fill('');
  private readonly valuesJson: string[] = new Array<string>(SLOTS).fill('""');
  /** The line's entryId, which its entry repeats: escaped once. */
  private entryId = '';
  private entryIdJson = '""';

  /** `spillLine([recordId, entry])`: `{"recordId","entryId"?,"entry"}` and a newline. */
  line(recordId: string, entry: ProvenanceEntry): string {
    const entryId = entry.entryId;
    let id = '';
    if (entryId !== undefined) {
      this.entryId = entryId;
      this.entryIdJson = jsonString(entryId);
      id = `,"entryId":${this.entryIdJson}`;
    }
    return `{"recordId":${jsonString(recordId)}${id},"entry":${this.entry(entry)}}\n`;
  }

  /** JSON.stringify(entry) for plain JSON data (what the queue holds). */
  private entry(e: ProvenanceEntry): string {
    // A toJSON method, or an enumerable key that is not the entry's own (for…in lists those
    // too, JSON.stringify does not), would make the walk below differ: left to JSON.stringify.
    const proto = Object.getPrototypeOf(e) as unknown;
    if ((proto !== null && (proto !== Object.prototype || !objectPrototypeIsPlain())) || typeof (e as { toJSON?: unknown }).toJSON === 'function') {
      return JSON.stringify(e);
    }
    let out = '{';
    let slot = 0;
    for (const k in e) {
      const v = (e as Record<string, unknown>)[k];
      let vj: string | undefined;
      if (typeof v === 'string') {
        if (slot < SLOTS && v === this.values[slot]) vj = this.valuesJson[slot]!;
        else {
          vj = v === this.entryId ? this.entryIdJson : jsonString(v);
          if (slot < SLOTS) {
            this.values[slot] = v;
            this.valuesJson[slot] = vj;
          }
        }
      } else {
        vj = JSON.stringify(v) as string | undefined; // numbers, booleans, null, nested data
        if (vj === undefined) continue; // undefined, a function or a symbol: JSON leaves the key out
      }
      let kj: string;
      if (slot < SLOTS && k === this.keys[slot]) kj = this.keysJson[slot]!;
      else {
        kj = `${jsonString(k)}:`;
        if (slot < SLOTS) {
          this.keys[slot] = k;
          this.keysJson[slot] = kj;
        }
      }
      out += slot === 0 ? kj + vj : `,${kj}${vj}`;
      slot++;
    }
    return `${out}}`;
  }
}
