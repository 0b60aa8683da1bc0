// Provenance rows: a batch goes in as one statement (arrays unnested), keyed
// (record_id, entry_id) with ON CONFLICT DO NOTHING, so a replay from any host is a no-op
// that is counted; pairs whose record is missing are reported back, never stored.
import type pg from 'pg';
import type { Queryable } from './fresh-reads.js';
import type { StoreTables } from './tables.js';

export interface BatchRows {
  recordIds: string[];
  entryIds: string[];
  /**
   * The entries as one JSON array, in the order of the ids, each carrying its entryId: one
   * JSON.stringify for the batch, and no array-literal escaping of every quote in every entry
   * (a json[] parameter made node-pg escape each entry: the client's costliest step).
   */
  entries: string;
}

export interface BatchOutcome {
  written: number;
  /** Pairs for records that exist but whose (record_id, entry_id) was stored already. */
  duplicates: number;
  /** Indexes (0-based) of the pairs whose record does not exist. */
  unknown: number[];
}

/**
 * One statement: insert the pairs that have a record (in key order, the key's own "C" order
 * whatever the database's collation, so two hosts inserting overlapping batches take row
 * locks in the same order and never deadlock), and, when `mark`
 * is given, raise this host's high-water mark in the same transaction. The pairs without a
 * record are looked up again only when fewer rows were written than given (a duplicate or an
 * unknown record); every part of one statement reads the same snapshot, so both lookups agree.
 */
export function appendStatement(t: StoreTables): string {
  return `
    WITH written AS (
      INSERT INTO ${t.provenance} (record_id, entry_id, entry)
      SELECT i.record_id, i.entry_id, i.entry
      FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), json_array_elements($3::json)) AS i(record_id, entry_id, entry)
      WHERE EXISTS (SELECT 1 FROM ${t.records} r WHERE r.id = i.record_id)
      ORDER BY i.record_id COLLATE "C", i.entry_id COLLATE "C"
      ON CONFLICT DO NOTHING
      RETURNING 1
    ), mark AS (
      INSERT INTO ${t.hostMarks} (host, high_water_ms)
      SELECT $4::text, $5::bigint WHERE $5::bigint IS NOT NULL
      ON CONFLICT (host) DO UPDATE SET high_water_ms = GREATEST(${t.hostMarks}.high_water_ms, EXCLUDED.high_water_ms)
      RETURNING 1
    )
    SELECT w.written,
           CASE WHEN w.written = cardinality($1::text[]) THEN '{}'::int[] ELSE COALESCE(
             (SELECT array_agg(u.ord - 1 ORDER BY u.ord) FROM unnest($1::text[]) WITH ORDINALITY AS u(record_id, ord)
              WHERE NOT EXISTS (SELECT 1 FROM ${t.records} r WHERE r.id = u.record_id)), '{}')::int[] END AS unknown,
           (SELECT count(*) FROM mark)::int AS marked
    FROM (SELECT count(*)::int AS written FROM written) w`;
}

export async function appendRows(
  pool: pg.Pool,
  t: StoreTables,
  rows: BatchRows,
  mark: { host: string; ms: number } | null,
): Promise<BatchOutcome> {
  const res = await pool.query<{ written: number; unknown: number[] }>({
    name: `provq-append-${t.schema}`,
    text: appendStatement(t),
    values: [rows.recordIds, rows.entryIds, rows.entries, mark?.host ?? null, mark?.ms ?? null],
  });
  const r = res.rows[0]!;
  const known = rows.recordIds.length - r.unknown.length;
  return { written: r.written, duplicates: known - r.written, unknown: r.unknown };
}

/** Every record id with its number of entries (records without any included). */
export async function historyCounts(db: Queryable, t: StoreTables): Promise<{ id: string; entries: number }[]> {
  const { rows } = await db.query<{ id: string; entries: number }>(
    `SELECT r.id, (SELECT count(*) FROM ${t.provenance} p WHERE p.record_id = r.id)::int AS entries FROM ${t.records} r ORDER BY r.id`,
  );
  return rows;
}

export async function countRows(db: Queryable, t: StoreTables): Promise<{ records: number; entries: number }> {
  const { rows } = await db.query<{ records: number; entries: number }>(
    `SELECT (SELECT count(*) FROM ${t.records})::int AS records, (SELECT count(*) FROM ${t.provenance})::int AS entries`,
  );
  return rows[0]!;
}
