import { Writable } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/demo.js';
import { tempDir } from '../helpers/temp.js';

function capture(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, done) {
      w.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

describe('provq demo', () => {
  it('runs the story on a fresh store: one entry per hit, a real spill that drains to zero, latency for both modes', async () => {
    const out = capture();
    const storePath = join(tempDir(), 'demo-store');
    const s = await runDemo({ storePath, out, recalls: 200 });
    expect(s.hits).toBeGreaterThan(0);
    expect(s.entriesWritten).toBe(s.hits);
    expect(s.spilledPairs).toBeGreaterThan(0);
    expect(s.respooledPairs).toBe(s.spilledPairs);
    expect(s.spillFilesAtEnd).toBe(0);
    for (const mode of [s.queueOn, s.queueOff]) {
      expect(mode.p50Ms).toBeGreaterThan(0);
      expect(mode.p99Ms).toBeGreaterThanOrEqual(mode.p50Ms);
    }
    expect(out.text).toContain('summary');
    expect(out.text).toContain(`provq spill status --store ${storePath}`);
    expect(out.text).not.toContain('\r'); // plain lines off a terminal
  });

  it('runs again on the same store without duplicating its records', async () => {
    const storePath = join(tempDir(), 'demo-store');
    await runDemo({ storePath, out: capture(), recalls: 50 });
    const out = capture();
    const s = await runDemo({ storePath, out, recalls: 50 });
    expect(out.text).toMatch(/300 memory records \(0 new\)/);
    expect(s.entriesWritten).toBe(s.hits);
  });
});
