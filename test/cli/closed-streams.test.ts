// provq with its output going nowhere: `provq spill replay 2>&1 | head -1` closes both pipes
// after the first line. Before, stderr had no 'error' handler: the second file's "applied"
// line raised EPIPE, uncaught, and replay died after 2 of 300 files (exit 1), its store
// never closed. Now a closed stdout or stderr only silences provq; the work goes on.
// Checked: with provq.ts's stderr handler removed, the run exits 1 with 298 files left.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeRawFile } from '../helpers/spill-files.js';
import { cuesOf, line, makeStore, spillDirOf } from './run-provq.js';

const PROVQ = fileURLToPath(new URL('../../dist/cli/provq.js', import.meta.url));

/** Runs provq with both output pipes closed at our end before it writes anything. */
function provqIntoClosedPipes(...args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [PROVQ, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  child.stderr.destroy();
  const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve(code);
    }),
  );
}

describe('provq with stdout and stderr closed', () => {
  it('replay still applies every file and exits 0', { timeout: 90_000 }, async () => {
    const store = await makeStore(['r1']);
    const dir = spillDirOf(store);
    const cues = Array.from({ length: 300 }, (_, i) => `h${String(i).padStart(3, '0')}`);
    for (const cue of cues) writeRawFile(dir, `${cue}.jsonl`, `${line('r1', cue)}\n`);
    expect(await provqIntoClosedPipes('spill', 'replay', '--store', store)).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl'))).toEqual([]);
    expect(await cuesOf(store, 'r1')).toEqual(cues);
  });
});
