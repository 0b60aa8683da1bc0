// The newest entry id in a host's local files (src/store/postgres/local-entry-ids.ts), on
// real files: the floor a Postgres store's ids start above after a crash.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newestLocalEntryMs } from '../../src/store/postgres/local-entry-ids.js';
import { tempDir } from '../helpers/temp.js';

const line = (recordId: string, entryId: string, extra = {}) =>
  `${JSON.stringify({ recordId, entryId, entry: { ts: '2026-11-30T00:00:00.000Z', cue: 'c', sessionId: 's', ...extra } })}\n`;

describe('newest entry id in local files', () => {
  it('takes the newest top-level id of every pending file, across chunks, ignoring quarantined files and derived ids', async () => {
    const dir = tempDir();
    const journal = tempDir();
    const big = Array.from({ length: 30_000 }, (_, i) => line(`r${i % 7}`, `${1796000000000 + i}-abc1234-${String(i).padStart(10, '0')}`)).join('');
    writeFileSync(join(dir, '0000000000001-000001-1.jsonl'), big); // over a 1 MiB read chunk
    writeFileSync(join(journal, '0000000000002-000001-2-journal.jsonl'), line('r1', '1796000050000-abc1234-0000000001') + '{"recordId":"r1","entryId":"17960000');
    writeFileSync(join(dir, 'x.failed-1.jsonl'), line('r1', '1799999999999-abc1234-0000000001'));
    writeFileSync(join(dir, 'hand.jsonl'), line('r1', '1799999999999-file:hand.jsonl:000000001'));
    expect(await newestLocalEntryMs([dir, journal, join(dir, 'missing')])).toBe(1796000050000);
  });

  // Checked: with the pattern not anchored at the line's start, the nested key won (9999999999999).
  it('an entryId key nested in an entry’s extra fields is not taken for the line’s id', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.jsonl'), line('r1', '1796000000000-abc1234-0000000001', { meta: { recordId: 'r9', entryId: '9999999999999-abc1234-0000000001' } }));
    expect(await newestLocalEntryMs([dir])).toBe(1796000000000);
  });
});
