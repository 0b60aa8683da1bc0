// A spill file's name already taken when it is published (a pid reused after a reboot, a
// clock stepped back, a file copied in by hand): the new file goes beside it, never over
// it, and sorts right after it; after 100 taken names the spill fails and leaves nothing.
// The names' clock is held still so they are known in advance: they take the id clock's time
// (never below an id issued), and the id floor is raised to a time it will not reach.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { raiseEntryIdFloor } from '../../src/entry-id.js';
import { readSpillFile } from '../../src/spill/spill-reader.js';
import { newSpillFileName } from '../../src/spill/spill-file-name.js';
import { SpillWriter } from '../../src/spill/spill-writer.js';
import { pair } from '../helpers/sinks.js';
import { cuesOf, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

/** 2096: the id clock stays below it, so every name of this file carries it. */
const NOW = 4_000_000_000_000;
raiseEntryIdFloor(NOW);

afterEach(() => {
  vi.useRealTimers();
});

/** The stem the next spill will be named with (the sequence is the writer's own counter). */
function nextStem(): string {
  const [ms, seq, pid] = newSpillFileName(NOW).replace(/\.jsonl$/, '').split('-');
  return `${ms}-${String(Number(seq) + 1).padStart(6, '0')}-${pid}`;
}

/** Plants files under the stem's name and its first `collisions` alternatives. */
function plant(dir: string, stem: string, collisions: number): Map<string, string> {
  const planted = new Map<string, string>();
  for (let k = 0; k <= collisions; k++) {
    const name = k === 0 ? `${stem}.jsonl` : `${stem}-c${k}.jsonl`;
    const text = `planted ${k}\n`;
    writeRawFile(dir, name, text);
    planted.set(name, text);
  }
  return planted;
}

const writes = {
  async: (w: SpillWriter, cues: string[]) => w.append(cues.map((c) => pair('r1', c))),
  sync: async (w: SpillWriter, cues: string[]) => w.appendSync(cues.map((c) => pair('r1', c))),
};

describe('a spill whose name is taken', () => {
  for (const [how, write] of Object.entries(writes)) {
    // Checked (async and sync): with the collision loop's `!isExists(err) || k >= 100`
    // made `true` (or `k < 100`), the spill failed at the first taken name; with the catch
    // block emptied it looped without end.
    it(`is written beside the taken file, never over it, and sorts right after it (${how})`, async () => {
      const dir = tempDir();
      const stem = nextStem();
      const planted = plant(dir, stem, 1);
      const written = await write(new SpillWriter(dir), ['a', 'b']);
      expect(written).toEqual([{ name: `${stem}-c2.jsonl`, pairs: 2 }]);
      for (const [name, text] of planted) expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
      expect(cuesOf(await readSpillFile(join(dir, `${stem}-c2.jsonl`), 'x.jsonl'))).toEqual(['a', 'b']);
      expect(readdirSync(dir).sort()).toEqual([`${stem}-c1.jsonl`, `${stem}-c2.jsonl`, `${stem}.jsonl`]);
    });

    // Checked (async and sync): with `k >= 100` made `k > 100`, or `||` made `&&`, the
    // 102nd name was taken and the spill succeeded; with the temp file's removal taken out,
    // the `.tmp` stayed behind.
    it(`fails after 100 taken names, replacing none and leaving no temp file (${how})`, async () => {
      const dir = tempDir();
      const stem = nextStem();
      const planted = plant(dir, stem, 100);
      await expect(write(new SpillWriter(dir), ['a'])).rejects.toMatchObject({ code: 'EEXIST' });
      expect(readdirSync(dir).sort()).toEqual([...planted.keys()].sort());
      for (const [name, text] of planted) expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
    });
  }
});
