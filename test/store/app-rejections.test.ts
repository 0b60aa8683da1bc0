// While a store is open it listens for unhandled rejections, to keep lmdb's unawaitable
// commit promises from ending the process (src/store/lmdb-commit-guard.ts). An app's own
// unhandled rejection is not its to swallow: Node's rule applies as if the store were not there.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./app-rejection-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(nodeFlags: string[], ownListener = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cfg = JSON.stringify({ storePath: tempDir(), ownListener });
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', CHILD, cfg], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const limit = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("an app's unhandled rejection while a store is open (real child processes)", () => {
  // Checked (issue 14, "no coverage" mutants of lmdb-commit-guard.ts): with the rethrow's test
  // (`listenerCount === 1 && nodeWouldThrow()`) made false, or nodeWouldThrow() answering
  // false (`mode === undefined` made `!==`), the child went on ("still running", exit 0) and
  // this fails; restored, it passes.
  it('ends the process with exit code 1 and the error, as Node does by default', { timeout: 60_000 }, async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('an app bug');
    expect(r.stdout).not.toContain('still running');
  });

  // Checked: with `mode === 'throw'` made `!==`, or the modes' `||` made `&&`, the explicit
  // modes no longer rethrow and this fails.
  it('ends it under --unhandled-rejections=strict and =throw too', { timeout: 60_000 }, async () => {
    for (const mode of ['strict', 'throw']) {
      const r = await run([`--unhandled-rejections=${mode}`]);
      expect({ mode, code: r.code, ran: r.stdout.includes('still running') }).toEqual({ mode, code: 1, ran: false });
    }
  });

  // Checked: with nodeWouldThrow() always true, the store's guard threw where Node would
  // only warn, and this fails.
  it('leaves it running under --unhandled-rejections=warn, as Node would', { timeout: 60_000 }, async () => {
    const r = await run(['--unhandled-rejections=warn']);
    expect({ code: r.code, ran: r.stdout.includes('still running') }).toEqual({ code: 0, ran: true });
  });

  // Checked: with the rethrow's `listenerCount === 1` made `!== 1` (or the test made true),
  // the guard threw over the app's own listener and this fails.
  it("leaves the decision to the app's own unhandledRejection listener", { timeout: 60_000 }, async () => {
    const r = await run([], true);
    expect(r.stdout).toContain('the app saw: an app bug');
    expect({ code: r.code, ran: r.stdout.includes('still running') }).toEqual({ code: 0, ran: true });
  });
});
