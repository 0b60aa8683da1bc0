// Recall ranked in SQL: cosine similarity over the stored float8[] embedding when the query
// has one (pgvector is not assumed), else text match on a tsvector (any cue word, scored by
// the share of words in common, as the LMDB index scores it). Only the top k rows come back,
// each with its history (oldest first).
import type { ProvenanceEntry } from '../../schemas.js';
import { tokenize } from '../similarity.js';
import type { Queryable } from './fresh-reads.js';
import type { StoreTables } from './tables.js';

export interface RecordRow {
  id: string;
  text: string;
  embedding: number[] | null;
  tags: string[] | null;
  created_at: string;
  provenance: ProvenanceEntry[];
}
export type RankedRow = RecordRow & { score: number };

/** Columns of a record with its history, for `r` an alias of the records table. */
export function recordColumns(t: StoreTables): string {
  return `r.id, r.text, r.embedding, r.tags, r.created_at,
    (SELECT COALESCE(json_agg(p.entry ORDER BY p.entry_id), '[]'::json) FROM ${t.provenance} p WHERE p.record_id = r.id) AS provenance`;
}

/** `unit` is the query embedding scaled to length 1 (the caller drops a zero vector). */
export async function rankByEmbedding(db: Queryable, t: StoreTables, unit: Float64Array, k: number): Promise<RankedRow[]> {
  const { rows } = await db.query<RankedRow>({
    name: `provq-recall-embedding-${t.schema}`, // prepared once per connection
    text: `SELECT ${recordColumns(t)}, top.score FROM (
       SELECT id, score FROM (
         SELECT id, (SELECT sum(a * b) / NULLIF(sqrt(sum(a * a)), 0) FROM unnest(embedding, $1::float8[]) AS u(a, b)) AS score
         FROM ${t.records} WHERE cardinality(embedding) = $2
       ) scored WHERE score IS NOT NULL ORDER BY score DESC, id LIMIT $3
     ) top JOIN ${t.records} r ON r.id = top.id ORDER BY top.score DESC, top.id`,
    values: [Array.from(unit), unit.length, k],
  });
  return rows;
}

/** Records sharing at least one word with the cue, by shared / sqrt(cue words × record words). */
export async function rankByText(db: Queryable, t: StoreTables, cue: string, k: number): Promise<RankedRow[]> {
  const words = [...tokenize(cue)];
  if (words.length === 0) return [];
  // Words are letters and digits only (tokenize), so quoting each one makes a safe tsquery.
  const query = words.map((w) => `'${w}'`).join(' | ');
  const { rows } = await db.query<RankedRow>({
    name: `provq-recall-text-${t.schema}`,
    text: `SELECT ${recordColumns(t)}, top.score FROM (
       SELECT id, (SELECT count(*) FROM unnest(tsvector_to_array(tsv)) AS l(w) WHERE l.w = ANY($2::text[]))::float8
                  / sqrt($3::float8 * GREATEST(length(tsv), 1)) AS score
       FROM ${t.records} WHERE tsv @@ to_tsquery('simple', $1)
       ORDER BY score DESC, id LIMIT $4
     ) top JOIN ${t.records} r ON r.id = top.id ORDER BY top.score DESC, top.id`,
    values: [query, words, words.length, k],
  });
  return rows;
}
