// One of two files run in one worker by test/harness/file-cleanup.test.ts: a temp dir with a
// file in it and a small filesystem mounted, neither undone by the test itself.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { it } from 'vitest';
import { smallFs } from '../../helpers/small-fs.js';
import { tempDir } from '../../helpers/temp.js';

it('leaves a temp dir and a mount to the cleanup after the file', () => {
  writeFileSync(join(tempDir('provq-shared-'), 'a-store'), 'x');
  smallFs(1);
  appendFileSync(process.env.PROVQ_FIXTURE_LOG!, `${threadId}\n`);
});
