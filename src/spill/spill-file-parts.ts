// How a spill's content is cut into files: no file the queue writes holds more pairs or
// bytes than its own reader takes (a single longer line gets a file of its own).

/** The most pairs and bytes one spill file holds. */
export interface SpillFileCaps {
  bytes: number;
  pairs: number;
}

/** One file's content as pieces, and how many pairs it held (known once the pieces are written). */
export interface FilePart {
  pieces: Iterable<string | Uint8Array>;
  count: () => number;
}

/** Whole spill lines as bytes (each ending in a newline) and how many they are. */
export interface EncodedLines {
  bytes: Uint8Array;
  pairs: number;
}

/**
 * Encoded lines grouped into files of at most `caps.pairs` pairs and `caps.bytes` bytes (a
 * single longer line gets a file of its own), cut at line boundaries where a piece does not fit.
 */
export function* filesOfLines(pieces: readonly EncodedLines[], caps: SpillFileCaps): Generator<FilePart> {
  let file: Uint8Array[] = [];
  let pairs = 0;
  let bytes = 0;
  for (const piece of pieces) {
    let rest = piece.bytes;
    let restPairs = piece.pairs;
    while (restPairs > 0) {
      if (pairs + restPairs <= caps.pairs && bytes + rest.length <= caps.bytes) {
        file.push(rest);
        pairs += restPairs;
        bytes += rest.length;
        break;
      }
      let cut = 0;
      let k = 0;
      for (; k < restPairs; k++) {
        const end = rest.indexOf(0x0a, cut) + 1;
        if ((pairs + k + 1 > caps.pairs || bytes + end > caps.bytes) && pairs + k > 0) break;
        cut = end;
      }
      if (k > 0) {
        file.push(rest.subarray(0, cut));
        pairs += k;
        rest = rest.subarray(cut);
        restPairs -= k;
      }
      const n = pairs;
      yield { pieces: file, count: () => n };
      file = [];
      pairs = 0;
      bytes = 0;
    }
  }
  if (pairs > 0) yield { pieces: file, count: () => pairs };
}
