// For child processes of disk-full tests (no vitest here): fills a small filesystem with one
// file, then gives `leaveBytes` of it back, so the next writes have exactly that room.
import { statSync, truncateSync, writeFileSync } from 'node:fs';

/** Grows `filler` until ENOSPC (or 64 MiB), then cuts it by `leaveBytes`. */
export function fillBut(filler: string, leaveBytes: number): void {
  try {
    writeFileSync(filler, Buffer.alloc(64 * 1024 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  truncateSync(filler, Math.max(0, statSync(filler).size - leaveBytes));
}
