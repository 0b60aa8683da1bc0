// The exit drain's last resort: spill lines written to stderr, every byte, synchronously,
// before the process ends — also when fd 2 is a pipe that is full (a slow reader) or was
// made non-blocking (EAGAIN: wait for the reader and go on). Written piece by piece, so a
// large backlog never becomes one huge string or buffer.
import { writeSync } from 'node:fs';

/** How long to wait for a full non-blocking pipe to drain before trying again. */
const FULL_PIPE_WAIT_MS = 1;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes every piece whole to `fd` (default 2). Returns false when the reader is gone
 * (EPIPE): nothing more can arrive, and the caller keeps what it can (the journal).
 */
export function writeAllToStderrSync(pieces: Iterable<string>, fd = 2): boolean {
  for (const piece of pieces) {
    const bytes = Buffer.from(piece);
    for (let off = 0; off < bytes.length; ) {
      try {
        off += writeSync(fd, bytes, off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') return false;
        if (code !== 'EAGAIN' && code !== 'EINTR') throw err;
        Atomics.wait(sleeper, 0, 0, FULL_PIPE_WAIT_MS);
      }
    }
  }
  return true;
}
