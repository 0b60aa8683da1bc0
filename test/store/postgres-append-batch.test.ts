// The Postgres store's append statement since session 15 (provenance-rows.ts): the entries go
// as one JSON array (json_array_elements), not a json[] literal node-pg escapes entry by
// entry; the pairs whose record is missing are looked up only when fewer rows were written
// than given. What it must keep: each entry's JSON text as JSON.stringify wrote it, and the
// counts of a batch that mixes new pairs, stored ones and missing records.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEntryId } from '../../src/entry-id.js';
import { silentLogger } from '../../src/log.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { HostMark, MARK_LEASE_MS } from '../../src/store/postgres/host-mark.js';
import { pair } from '../helpers/sinks.js';
import { freshSchema, query, testDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

const stores: PostgresMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function openStore(): Promise<{ store: PostgresMemoryStore; url: string; schema: string }> {
  const { url } = await testDatabase();
  const schema = freshSchema();
  const store = await PostgresMemoryStore.open({ connectionString: url, schema, spillDir: join(tempDir(), 'spill'), logger: silentLogger });
  stores.push(store);
  return { store, url, schema };
}

describe('PostgresMemoryStore append statement', () => {
  // Checked: with the array read through jsonb ($3::jsonb::json) this fails: jsonb refuses the
  // NUL escape, and without it the stored texts differ (keys reordered, a space after each colon).
  it("stores each entry's JSON text as JSON.stringify wrote it: key order, escapes, numbers", async () => {
    const { store, url, schema } = await openStore();
    await store.insert({ id: 'r1', text: 'x' });
    const entries = [
      { zeta: 1, ts: new Date().toISOString(), cue: 'naïve “quotes” \\ "q" back\u0000slash 🐘\n', sessionId: "s'1", alpha: { b: [1, 2.5, -0.1, 1e21], a: null } },
      { ts: '2026-12-01T00:00:00.000Z', sessionId: 's', cue: '{"looks":"like json"}', dup: 'x' },
    ];
    await store.appendProvenanceBatch(entries.map((e) => ['r1', e]));
    const rows = await query<{ entry: string; entry_id: string }>(url, `SELECT entry::text AS entry, entry_id FROM "${schema}".provenance ORDER BY entry_id`);
    expect(rows.map((r) => r.entry)).toEqual(entries.map((e, i) => JSON.stringify({ ...e, entryId: rows[i]!.entry_id })));
  });

  // Checked: with the duplicates counted as given - written (missing records counted too), or
  // with the missing records' lookup left out (never looked up), this fails.
  it('a batch of new pairs, a stored one and pairs for a missing record: each counted and reported once', async () => {
    const { store } = await openStore();
    await store.insert({ id: 'r1', text: 'x' });
    const stored = pair('r1', 'stored', { entryId: formatEntryId(1, 1) });
    await store.appendProvenanceBatch([stored]);
    const result = await store.appendProvenanceBatch([pair('ghost', 'a'), stored, pair('r1', 'new'), pair('ghost', 'b')]);
    expect(result.unknownRecords?.map(([, e]) => e.cue)).toEqual(['a', 'b']);
    expect(result.duplicates).toBe(1);
    expect((await store.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['stored', 'new']);
    expect(await store.stats()).toMatchObject({ entries: 2, unknownRecordPairs: 2, duplicatePairs: 1 });
  });

  it('a batch that writes every pair reports no missing record and no duplicate', async () => {
    const { store } = await openStore();
    await store.insert({ id: 'r1', text: 'x' });
    await store.insert({ id: 'r2', text: 'y' });
    const result = await store.appendProvenanceBatch([pair('r1', 'a'), pair('r2', 'b'), pair('r1', 'c')]);
    expect(result).toEqual({ duplicates: 0 });
  });
});

describe('HostMark.needed', () => {
  const ids = (...ms: number[]) => ms.map((m, i) => formatEntryId(m, i));

  it('null while every issued id is at or below the committed mark', () => {
    const mark = new HostMark('h', 1796000000000);
    expect(mark.needed(ids(1795999999999, 1796000000000, 1000))).toBeNull();
  });

  // Checked: with the covered bound not padded to 13 digits, the ms past a digit boundary was skipped (null).
  it('the newest issued ms plus the lease when any id passes the mark, wherever it is in the batch, also past a digit boundary', () => {
    expect(new HostMark('h', 1796000000000).needed(ids(1795000000000, 1796000000001, 1796000000000))).toEqual({ host: 'h', ms: 1796000000001 + MARK_LEASE_MS });
    expect(new HostMark('h', 999).needed(ids(998, 1000))).toEqual({ host: 'h', ms: 1000 + MARK_LEASE_MS });
  });

  it('derived file: ids are not issued ids: they never raise the mark', () => {
    const mark = new HostMark('h', 1796000000000);
    expect(mark.needed(['1799999999999-file:hand.jsonl:000000001'])).toBeNull();
  });

  it('after committedAt, ids up to the new mark are covered', () => {
    const mark = new HostMark('h', 1000);
    const need = mark.needed(ids(5000))!;
    mark.committedAt(need.ms);
    expect(mark.needed(ids(5000, need.ms))).toBeNull();
    expect(mark.needed(ids(need.ms + 1))).toEqual({ host: 'h', ms: need.ms + 1 + MARK_LEASE_MS });
  });
});
