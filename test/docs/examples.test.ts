// Every example in docs/examples runs as written (against the built package) and says what it promises.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [`docs/examples/${name}`], {
    cwd: root,
    timeout: 30_000,
    // The examples make their stores in the temp folder: this test's own, removed afterwards.
    env: { ...process.env, TMPDIR: tempDir('provq-examples-') },
  });
  return stdout;
}

describe('docs/examples', () => {
  it('custom-sink.mjs writes every entry once through a user-made sink', async () => {
    const out = await example('custom-sink.mjs');
    expect(out).toContain('flushed: true');
    expect(out).toContain('lines written: 5');
  });

  it('admin-toggle.mjs switches the queue on and off over HTTP and keeps the entry', async () => {
    const out = await example('admin-toggle.mjs');
    expect(out).toMatch(/enable: \{"enabled":true/);
    expect(out).toMatch(/disable: \{"enabled":false/);
    expect(out).toContain('entries for tea: 1');
  });

  it('graceful-shutdown.mjs drains pending entries on SIGTERM', async () => {
    const out = await example('graceful-shutdown.mjs');
    expect(out).toContain('drained 3 pending entries; stored: 3');
  });
});
