// docs/api.md is what `npm run docs` makes from the doc comments, and every public member
// has one (typedoc's notDocumented validation, warnings as errors). Checked: deleting the
// doc comment of ProvenanceWriteQueue.flush made typedoc exit non-zero naming it; editing
// a doc comment without `npm run docs` made the comparison fail.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const root = join(import.meta.dirname, '../..');

describe('docs/api.md', () => {
  // typedoc over src/: past 180 s at load 20-27 (session 9).
  it('is up to date with the doc comments, and every public member has one', { timeout: 600_000 }, async () => {
    const out = tempDir('provq-apidoc-');
    const typedoc = join(root, 'node_modules/typedoc/bin/typedoc');
    const r = await new Promise<{ code: number; log: string }>((resolve) => {
      execFile(process.execPath, [typedoc, '--out', out, '--logLevel', 'Warn'], { cwd: root }, (err, stdout, stderr) => {
        resolve({ code: err ? 1 : 0, log: stdout + stderr });
      });
    });
    expect(r.log).toBe('');
    expect(r.code).toBe(0);
    const made = readFileSync(join(out, 'api.md'), 'utf8');
    const committed = readFileSync(join(root, 'docs/api.md'), 'utf8');
    expect(committed === made, 'docs/api.md is stale: run `npm run docs` and commit it').toBe(true);
    // Readable: no members inherited from Error or EventEmitter, no internals.
    for (const noise of ['captureStackTrace', 'prepareStackTrace', 'listenerCount', 'drainSync', 'enqueueOwned']) {
      expect(made, noise).not.toContain(noise);
    }
  });
});
