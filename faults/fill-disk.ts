// Fills a filesystem to its last byte: a file at `path` grown until ENOSPC (what a disk
// filled by something else looks like to the store). Freeing is removing that file.
import { closeSync, openSync, writeSync } from 'node:fs';

export function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    const chunk = Buffer.alloc(1024 * 1024);
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}
