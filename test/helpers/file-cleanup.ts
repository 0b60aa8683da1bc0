// A setup file (vitest.config.ts): after each test file, what the helpers made for it and its
// tests did not undo — failing disks, small filesystems, temp dirs, in that order (a mount
// before the dir it is in). A setup file runs for every test file; a helper's own module-level
// afterAll would run only for the first file that loaded it when files share a worker's modules
// (`isolate: false`, as `npm run mutate` runs the queue area: docs/testing.md).
import { afterAll } from 'vitest';
import { undoFailingDisks } from './failing-disk.js';
import { unmountSmallFs } from './small-fs.js';
import { removeTempDirs } from './temp.js';

afterAll(() => {
  undoFailingDisks();
  unmountSmallFs();
  removeTempDirs();
});
