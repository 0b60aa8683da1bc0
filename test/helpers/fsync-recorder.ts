// Records, in order, what is fsync'd through node:fs (`fsync` and `fsyncSync`): `dir <path>`
// for a directory, `file <path>` for a file, for tests of what is made durable. Import it before anything that loads
// fs-extra: graceful-fs copies node:fs's functions when it loads, so a later patch is not
// seen through it. `restore()` puts node:fs back.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { fstatSync, readlinkSync } from 'node:fs';

const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const real = { fsync: fs.fsync, fsyncSync: fs.fsyncSync };

export const fsyncs: string[] = [];

const described = (fd: number): string => {
  try {
    return `${fstatSync(fd).isDirectory() ? 'dir' : 'file'} ${readlinkSync(`/proc/self/fd/${fd}`)}`;
  } catch {
    return `fd ${fd}`;
  }
};

fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
  fsyncs.push(described(fd));
  real.fsync(fd, cb);
}) as typeof fs.fsync;
fs.fsyncSync = ((fd: number) => {
  fsyncs.push(described(fd));
  real.fsyncSync(fd);
}) as typeof fs.fsyncSync;
syncBuiltinESMExports();

export function restore(): void {
  Object.assign(fs, real);
  syncBuiltinESMExports();
}
