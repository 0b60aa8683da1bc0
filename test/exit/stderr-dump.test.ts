// The last-resort writer on a non-blocking pipe that fills up (EAGAIN), read slowly by
// another process: every byte arrives, in order.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAllToStderrSync } from '../../src/exit/stderr-dump.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

describe('writeAllToStderrSync on a full non-blocking pipe', () => {
  // Checked: with the EAGAIN retry removed, writeSync throws EAGAIN once the 64 KiB pipe is
  // full and the call fails; with a single writeSync per piece (no loop over partial writes)
  // the reader counts fewer bytes.
  it('waits out EAGAIN and partial writes: a slow reader gets all 2 MiB, in order', async () => {
    const fifo = join(tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    // The reader takes 8 KiB every 2 ms and reports how many bytes and lines it saw.
    const reader = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(fifo)}, 'r');
      const buf = Buffer.alloc(8192); let bytes = 0, lines = 0, last = -1, ordered = true, rest = '';
      const tick = () => { let n; try { n = fs.readSync(fd, buf, 0, buf.length, null); } catch (e) { if (e.code === 'EAGAIN') return setTimeout(tick, 2); throw e; }
        if (n === 0) { process.stdout.write(JSON.stringify({ bytes, lines, ordered })); return; }
        bytes += n; const parts = (rest + buf.subarray(0, n).toString()).split('\\n'); rest = parts.pop();
        for (const p of parts) { const i = Number(p.slice(5)); if (i !== last + 1) ordered = false; last = i; lines++; }
        setTimeout(tick, 2); };
      tick();`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const ended = new Promise((r) => reader.on('close', r));
    // Non-blocking, the open fails (ENXIO) until the reader has the FIFO open.
    let fd = -1;
    expect(
      await until(() => {
        try {
          fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
          return true;
        } catch {
          return false;
        }
      }, 10_000),
    ).toBe(true);
    const LINES = 100_000;
    const pieces = function* () {
      for (let i = 0; i < LINES; i += 1000) {
        let s = '';
        for (let k = i; k < i + 1000; k++) s += `line ${String(k).padStart(14, '0')}\n`;
        yield s;
      }
    };
    expect(writeAllToStderrSync(pieces(), fd)).toBe(true);
    closeSync(fd);
    await ended;
    expect(JSON.parse(out)).toEqual({ bytes: LINES * 20, lines: LINES, ordered: true });
  });
});
