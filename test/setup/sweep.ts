// vitest globalSetup: what a killed earlier run left (temp dirs, mounts, loop devices, an
// embedded PostgreSQL) is taken down before this run starts.
import { sweepStaleTestDirs } from '../helpers/stale-test-dirs.js';

export default function setup(): void {
  const swept = sweepStaleTestDirs();
  if (swept.length > 0) process.stderr.write(`swept ${swept.length} test dirs left by killed runs\n`);
}
