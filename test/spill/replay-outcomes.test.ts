// Reading back one claimed spill file, as the queue and `provq spill replay` do, when the
// file changes under the claim: gone, swapped for a symlink, its claim taken over, a sink
// that refuses a chunk once, records the sink does not know, a dead writer's torn segment.
// Each file is claimed for real (claimSpillFile); only the sink's answers are made up.
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/log.js';
import { replayClaimedFile, type ChunkDelivered, type ReplayOptions } from '../../src/spill/replay.js';
import { claimSpillFile, type SpillClaim } from '../../src/spill/spill-claims.js';
import type { IdentifiedPair } from '../../src/spill/spill-writer.js';
import { handLine, writeQueueSpillFile, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

type Line = { level: string; fields: Record<string, unknown>; msg: string };

function recordingLogger(lines: Line[]): Logger {
  const at = (level: string) => (fields: object, msg: string) => lines.push({ level, fields: fields as Record<string, unknown>, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function claim(dir: string, name: string, logger: Logger = silentLogger): Promise<SpillClaim> {
  const c = await claimSpillFile(dir, name, { staleMs: 60_000, logger });
  if (!c) throw new Error(`could not claim ${name}`);
  return c;
}

function replay(c: SpillClaim, dir: string, deliver: ReplayOptions['deliver'], extra: Partial<ReplayOptions> = {}) {
  return replayClaimedFile(c, { dir, chunkPairs: 256, logger: silentLogger, deliver, ...extra });
}

const jsonlIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();

describe('a claimed spill file read back', () => {
  // Checked: with `case 'gone'` removed (the switch falls through to reading the pairs),
  // the replay threw SpillFileChangedError instead of skipping; with its outcome emptied
  // (`{}`), `kind` was undefined.
  it('that another process finished and deleted after it was listed is skipped: no sink call', async () => {
    const dir = tempDir();
    const name = await writeQueueSpillFile(dir, 'r1', ['a']);
    const c = await claim(dir, name);
    rmSync(join(dir, name));
    const calls: IdentifiedPair[][] = [];
    try {
      expect(await replay(c, dir, async (p) => (calls.push(p), { ok: true }))).toEqual({ kind: 'skipped', reason: 'already gone' });
    } finally {
      await c.release();
    }
    expect(calls).toEqual([]);
  });

  // Checked: with `case 'not-a-file'` removed, the replay threw instead of skipping; with
  // the warning's fields emptied (`{}`), the log line no longer named the entry.
  it('that was swapped for a symlink after it was claimed is skipped with a warning naming it: the target is neither applied nor touched', async () => {
    const dir = tempDir();
    const name = await writeQueueSpillFile(dir, 'r1', ['a']);
    const c = await claim(dir, name);
    const target = join(tempDir(), 'elsewhere.jsonl');
    const planted = `${handLine('r1', 'planted')}\n`;
    writeFileSync(target, planted, { mode: 0o600 });
    rmSync(join(dir, name));
    symlinkSync(target, join(dir, name));
    const lines: Line[] = [];
    const calls: IdentifiedPair[][] = [];
    try {
      const outcome = await replay(c, dir, async (p) => (calls.push(p), { ok: true }), { logger: recordingLogger(lines) });
      expect(outcome).toEqual({ kind: 'skipped', reason: 'is a symlink (never followed)' });
    } finally {
      await c.release();
    }
    expect(calls).toEqual([]);
    expect(readFileSync(target, 'utf8')).toBe(planted); // untouched
    expect(jsonlIn(dir)).toEqual([name]); // the symlink is left for the operator
    expect(lines).toContainEqual({ level: 'warn', fields: { file: name, reason: 'is a symlink (never followed)' }, msg: 'spill entry skipped' });
  });

  // Checked: with the compromised check made false (`if (false)`), every chunk was
  // delivered under a claim another process held, and the file was deleted; with the
  // outcome emptied (`{}`), `kind` was undefined. With onCompromised emptied (claim-lock.ts),
  // `compromised` never became true and the until() below timed out.
  it('whose claim another process takes over mid-file stops there: later chunks are not sent, the file is kept, the loss is logged', async () => {
    const dir = tempDir();
    const name = await writeQueueSpillFile(dir, 'r1', ['a', 'b', 'c']);
    const lines: Line[] = [];
    const c = await claim(dir, name, recordingLogger(lines));
    const calls: IdentifiedPair[][] = [];
    try {
      const outcome = await replay(
        c,
        dir,
        async (p) => {
          calls.push(p);
          if (calls.length === 1) {
            // Another process takes the claim over: the claim's mtime is no longer the one we set.
            const old = new Date(Date.now() - 30_000);
            utimesSync(join(dir, `${name}.lock`), old, old);
            expect(await until(() => c.compromised, 30_000)).toBe(true);
          }
          return { ok: true };
        },
        { chunkPairs: 1 },
      );
      expect(outcome).toEqual({ kind: 'deferred', reason: 'claim taken over by another process' });
    } finally {
      await c.release();
    }
    expect(calls.map((p) => p.map(([, e]) => e.cue))).toEqual([['a']]);
    expect(jsonlIn(dir)).toEqual([name]);
    expect(lines.some((l) => l.level === 'warn' && l.fields.file === name && l.msg === 'spill claim lost; another process took it over')).toBe(true);
  });

  // Checked: with findRefused's "both halves passed" answer made `["Stryker was here"]`
  // instead of `[]`, a junk pair was set aside as refused and the outcome named a set-aside file.
  it('whose chunk the sink refused once and then took in halves is applied whole: nothing set aside', async () => {
    const dir = tempDir();
    const name = await writeQueueSpillFile(dir, 'r1', ['a', 'b']);
    const c = await claim(dir, name);
    const answers: ChunkDelivered[] = [{ ok: false }, { ok: true }, { ok: true }];
    const calls: IdentifiedPair[][] = [];
    try {
      const outcome = await replay(c, dir, async (p) => (calls.push(p), answers[calls.length - 1] ?? { ok: false }));
      expect(outcome).toEqual({ kind: 'applied', pairs: 2 });
    } finally {
      await c.release();
    }
    expect(calls.slice(1).map((p) => p.map(([, e]) => e.cue))).toEqual([['a'], ['b']]);
    expect(jsonlIn(dir)).toEqual([]);
  });

  // Checked: with sample()'s tail made "" (or `ids.length + 3`), the reason said
  // "r1, r2, r3" without "and 2 more" (or "and 8 more").
  it('whose pairs are for records the sink does not know sets them aside, naming three records and how many more', async () => {
    const dir = tempDir();
    const text = ['r1', 'r2', 'r3', 'r4', 'r5'].map((r) => `${handLine(r, `cue-${r}`)}\n`).join('');
    writeRawFile(dir, 'hand.jsonl', text);
    const c = await claim(dir, 'hand.jsonl');
    try {
      const outcome = await replay(c, dir, async (p) => ({ ok: true, unknownRecords: p }));
      expect(outcome).toMatchObject({ kind: 'applied', pairs: 0, setAside: { pairs: 5 } });
    } finally {
      await c.release();
    }
    const [reasonFile] = readdirSync(dir).filter((n) => n.endsWith('.reason.json'));
    const { reason } = JSON.parse(readFileSync(join(dir, reasonFile!), 'utf8')) as { reason: string };
    expect(reason).toContain('5 of the 5 pairs of hand.jsonl are for records this sink does not know (r1, r2, r3, and 2 more)');
  });

  // Checked: with the empty file's outcome made `{}` when it had a torn line, `tornLines`
  // (what `stats().tornJournalLines` counts) was lost.
  it("that is a dead writer's segment holding only a cut line is removed, its torn line counted", async () => {
    const dir = tempDir();
    writeRawFile(dir, 'seg.jsonl', handLine('r1', 'cut').slice(0, 30));
    const c = await claim(dir, 'seg.jsonl');
    const calls: IdentifiedPair[][] = [];
    try {
      const outcome = await replay(c, dir, async (p) => (calls.push(p), { ok: true }), { dropTornTail: true });
      expect(outcome).toEqual({ kind: 'applied', pairs: 0, tornLines: 1 });
    } finally {
      await c.release();
    }
    expect(calls).toEqual([]);
    expect(existsSync(join(dir, 'seg.jsonl'))).toBe(false);
  });
});
