// What the read-back accepts from a spill file, byte by byte: a file is applied exactly as
// written or quarantined whole with its reason — never applied altered.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { RecordingSink } from '../helpers/sinks.js';
import { handLine, writeRawFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Starts a queue over `spillDir` and resolves with the first quarantine it reports. */
function firstQuarantine(sink: RecordingSink, spillDir: string): Promise<{ file: string; reason: string }> {
  const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, durability: 'memory', idlePollMs: 50 });
  const quarantined = new Promise<{ file: string; reason: string }>((resolve) => q.once('quarantined', resolve));
  q.start();
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  return quarantined;
}

describe('spill file contents', () => {
  // Checked: with the decoder made non-fatal (TextDecoder('utf-8') without { fatal: true }),
  // the line is applied with cue 'caf\uFFFD' and this fails.
  it('invalid UTF-8 in a spill file is quarantined, not applied with replacement characters', async () => {
    const dir = tempDir();
    // Valid JSON in every other respect: only the byte 0xff inside the cue is wrong.
    const [before, after] = handLine('r1', 'caf@').split('@') as [string, string];
    writeRawFile(dir, 'latin1.jsonl', Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(`${after}\n`)]));
    const sink = new RecordingSink();
    const q = await firstQuarantine(sink, dir);
    expect(q.file).toBe('latin1.jsonl');
    expect(q.reason).toMatch(/UTF-8/);
    expect(sink.pairs).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.startsWith('latin1.failed-') && n.endsWith('.jsonl'))).toHaveLength(1);
  });
});
