// Applies a zod schema at a boundary and turns failure into a typed error naming the field.
import type { z } from 'zod';
import { InvalidPairError, InvalidOptionsError } from './errors.js';
import { describeIssues, provenancePairsSchema, type ProvenancePair } from './schemas.js';

export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new InvalidOptionsError(`invalid ${what}: ${describeIssues(r.error)}`);
  return r.data;
}

/** Validates pairs for enqueue or a sink write; the error names the pair index and field. */
export function parsePairs(pairs: unknown): ProvenancePair[] {
  const r = provenancePairsSchema.safeParse(pairs);
  if (r.success) return r.data as ProvenancePair[];
  const first = r.error.issues[0]!;
  const [index, slot, ...rest] = first.path;
  let where = 'pairs';
  if (index !== undefined) where += `[${String(index)}]`;
  if (slot === 0) where += '.recordId';
  else if (slot === 1) where += ['.entry', ...rest.map(String)].join('.').replace(/^\.entry\./, '.entry.');
  throw new InvalidPairError(
    `invalid provenance pair: ${where}: ${first.message} (nothing was queued; fix the pair and enqueue it again)`,
  );
}
