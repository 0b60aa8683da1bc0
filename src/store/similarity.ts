// The recall index: records held in memory as normalised vectors and token sets, ranked
// by cosine similarity (embedding given) or token overlap, top k kept in a small array.

export interface IndexedRecord {
  readonly id: string;
  readonly vector: Float64Array | undefined; // unit length
  readonly tokens: ReadonlySet<string>;
}

export interface ScoredId {
  id: string;
  score: number;
}

export function tokenize(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

export function unitVector(values: readonly number[] | undefined): Float64Array | undefined {
  if (!values || values.length === 0) return undefined;
  const v = Float64Array.from(values);
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  norm = Math.sqrt(norm);
  if (norm === 0) return undefined;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

export class RecallIndex {
  private readonly byId = new Map<string, IndexedRecord>();

  get size(): number {
    return this.byId.size;
  }

  /** True for a record upserted here (the store's records, loaded at open or inserted since). */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  upsert(id: string, text: string, embedding: readonly number[] | undefined): void {
    this.byId.set(id, { id, vector: unitVector(embedding), tokens: tokenize(text) });
  }

  topK(cue: string, embedding: readonly number[] | undefined, k: number): ScoredId[] {
    const query = unitVector(embedding);
    const top: ScoredId[] = [];
    if (query) {
      for (const rec of this.byId.values()) {
        if (!rec.vector || rec.vector.length !== query.length) continue;
        let dot = 0;
        for (let i = 0; i < query.length; i++) dot += query[i]! * rec.vector[i]!;
        keepTop(top, rec.id, dot, k);
      }
      return top;
    }
    const cueTokens = [...tokenize(cue)];
    if (cueTokens.length === 0) return top;
    for (const rec of this.byId.values()) {
      let shared = 0;
      for (const t of cueTokens) if (rec.tokens.has(t)) shared++;
      if (shared === 0) continue;
      keepTop(top, rec.id, shared / Math.sqrt(cueTokens.length * rec.tokens.size), k);
    }
    return top;
  }
}

/** Inserts into `top` (sorted best first) when the score makes the cut. */
function keepTop(top: ScoredId[], id: string, score: number, k: number): void {
  if (top.length === k && score <= top[k - 1]!.score) return;
  let i = top.length;
  while (i > 0 && top[i - 1]!.score < score) i--;
  top.splice(i, 0, { id, score });
  if (top.length > k) top.pop();
}
