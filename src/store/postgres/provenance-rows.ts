// Provenance rows: a batch goes in as one statement (arrays unnested), keyed
// (record_id, entry_id) with ON CONFLICT DO NOTHING, so a replay from any host is a no-op
// that is counted; pairs whose record is missing are reported back, never stored.
import type pg from 'pg';
import type { Queryable } from './fresh-reads.js';
import type { StoreTables } from './tables.js';

export interface BatchRows {
  recordIds: string[];
  entryIds: string[];
  /** Each entry as JSON text, carrying its entryId. */
  entries: string[];
}

export interface BatchOutcome {
  written: number;
  /** Pairs for records that exist but whose (record_id, entry_id) was stored already. */
  duplicates: number;
  /** Indexes (0-based) of the pairs whose record does not exist. */
  unknown: number[];
}

/**
 * One statement: which pairs have a record, insert those (in key order, so two hosts
 * inserting overlapping batches take row locks in the same order and never deadlock), and,
 * when `mark` is given, raise this host's high-water mark in the same transaction.
 */
export function appendStatement(t: StoreTables): string {
  return `
    WITH input AS (
      SELECT i.record_id, i.entry_id, i.entry, i.ord,
             EXISTS (SELECT 1 FROM ${t.records} r WHERE r.id = i.record_id) AS known
      FROM unnest($1::text[], $2::text[], $3::json[]) WITH ORDINALITY AS i(record_id, entry_id, entry, ord)
    ), written AS (
      INSERT INTO ${t.provenance} (record_id, entry_id, entry)
      SELECT record_id, entry_id, entry FROM input WHERE known ORDER BY record_id, entry_id
      ON CONFLICT DO NOTHING
      RETURNING 1
    ), mark AS (
      INSERT INTO ${t.hostMarks} (host, high_water_ms)
      SELECT $4::text, $5::bigint WHERE $5::bigint IS NOT NULL
      ON CONFLICT (host) DO UPDATE SET high_water_ms = GREATEST(${t.hostMarks}.high_water_ms, EXCLUDED.high_water_ms)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM written)::int AS written,
           (SELECT count(*) FROM input WHERE known)::int AS known,
           COALESCE((SELECT array_agg(ord - 1 ORDER BY ord) FROM input WHERE NOT known), '{}')::int[] AS unknown,
           (SELECT count(*) FROM mark)::int AS marked`;
}

export async function appendRows(
  pool: pg.Pool,
  t: StoreTables,
  rows: BatchRows,
  mark: { host: string; ms: number } | null,
): Promise<BatchOutcome> {
  const res = await pool.query<{ written: number; known: number; unknown: number[] }>({
    name: `provq-append-${t.schema}`,
    text: appendStatement(t),
    values: [rows.recordIds, rows.entryIds, rows.entries, mark?.host ?? null, mark?.ms ?? null],
  });
  const r = res.rows[0]!;
  return { written: r.written, duplicates: r.known - r.written, unknown: r.unknown };
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
