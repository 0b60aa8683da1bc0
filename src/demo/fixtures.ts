// The demo's sample data: memory records and recall cues shipped in fixtures/.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CommandError } from '../errors.js';
import { recordInputSchema } from '../schemas.js';

// Resolves to <package>/fixtures from both src/demo (tests) and dist/demo (built).
const FIXTURES = new URL('../../fixtures/', import.meta.url);

const fixtureRecordSchema = recordInputSchema.required({ id: true });
export type FixtureRecord = z.output<typeof fixtureRecordSchema>;

export async function loadFixtureRecords(): Promise<FixtureRecord[]> {
  const text = await readFile(new URL('records.jsonl', FIXTURES), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line, i) => {
      const r = fixtureRecordSchema.safeParse(JSON.parse(line));
      if (!r.success) throw new CommandError(`fixtures/records.jsonl line ${i + 1}: ${r.error.issues[0]?.message}; reinstall the package (the demo's sample data is damaged)`);
      return r.data;
    });
}

export async function loadFixtureCues(): Promise<string[]> {
  const text = await readFile(new URL('cues.txt', FIXTURES), 'utf8');
  return text.split('\n').filter((l) => l.trim());
}
