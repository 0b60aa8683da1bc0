// The default logger writes to stderr; a stderr whose reader is gone (a log shipper that
// died, `app 2>&1 | head`) must not end the application. Before, its first line (here
// "sink write failed; retrying") raised EPIPE as an 'error' event on process.stderr, which
// nobody handled: the process died with an uncaught exception (exit 1), the queue's work cut
// short and its pairs left to the exit drain.
// Checked: with the logger writing through process.stderr.write again, the child exits 1
// with nothing on stdout and this fails.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./closed-stderr-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the child with its stderr pipe closed at our end before it writes anything. */
function runWithStderrGone(cfg: unknown): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(cfg)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.destroy();
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout });
    }),
  );
}

describe('the default logger with stderr closed', () => {
  it('does not end the application: the queue logs its failure, retries, and every pair lands', { timeout: 90_000 }, async () => {
    const r = await runWithStderrGone({ spillDir: join(tempDir(), 'spill'), pairs: 10 });
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ flushed: true, stored: 10, writeErrors: 1 });
  });
});
