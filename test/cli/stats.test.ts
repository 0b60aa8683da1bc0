// provq stats: the numbers are the store's.
import { describe, expect, it } from 'vitest';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { makeStore, provq, spillDirOf } from './run-provq.js';

describe('provq stats', () => {
  it('--json counts records, entries and per-record history; --record lists a history oldest first', async () => {
    const store = await makeStore(['r1', 'r2', 'r3']);
    await writeQueueSpillFile(spillDirOf(store), 'r1', ['a', 'b', 'c']);
    await writeQueueSpillFile(spillDirOf(store), 'r2', ['d']);
    expect((await provq('spill', 'replay', '--store', store)).code).toBe(0);

    const r = await provq('stats', '--store', store, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      records: 3,
      entries: 4,
      history: [
        { id: 'r1', entries: 3 },
        { id: 'r2', entries: 1 },
        { id: 'r3', entries: 0 },
      ],
    });
    const one = JSON.parse((await provq('stats', '--store', store, '--record', 'r1', '--json')).stdout);
    expect(one.id).toBe('r1');
    expect(one.provenance.map((e: { cue: string }) => e.cue)).toEqual(['a', 'b', 'c']);

    const missing = await provq('stats', '--store', store, '--record', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^provq: --record nope: no such record/);
  });
});
