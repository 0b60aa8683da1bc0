// What a refusal says the wrong value was: the kind of value, and the value itself where it
// is short enough to show — so "got a boolean (true)" points at the call that passed it.
import { afterEach, describe, expect, it } from 'vitest';
import { ProvenanceQueueError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { tempDir } from '../helpers/temp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function messageOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (err) {
    expect(err).toBeInstanceOf(ProvenanceQueueError);
    return (err as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

describe('a refused argument is described in the message', () => {
  // Checked (issue 14, "no coverage" mutants of validate.ts's describeValue): with
  // `typeof v === 'boolean'` or `=== 'bigint'` made false, `typeof v === 'object'` made true
  // or false, the long string's cut (`v.slice(0, 40)` → `v`) or its `…` removed, the matching
  // line fails; restored, all pass. (undefined read "got a undefined" before this test.)
  it('a boolean, a bigint, a function, undefined where an id is due, an object, and a long string cut at 40 characters', async () => {
    const store = await LmdbMemoryStore.open({ path: tempDir(), logger: silentLogger });
    cleanups.push(() => store.close());
    expect(await messageOf(() => store.close(true as never))).toMatch(/, got a boolean \(true\)$/);
    expect(await messageOf(() => store.recall(5n as never))).toMatch(/, got a bigint \(5\)$/);
    expect(await messageOf(() => store.enableProvenanceQueue((() => 1) as never))).toMatch(/, got a function; call it with no argument for the defaults$/);
    expect(await messageOf(() => store.get(undefined as never))).toMatch(/, got undefined; pass a record id/);
    expect(await messageOf(() => store.get({ id: 'r1' } as never))).toMatch(/, got an object; pass a record id/);
    const long = `${'a'.repeat(40)}bcdef`;
    expect(await messageOf(() => store.close(long as never))).toMatch(new RegExp(`, got a string \\("${'a'.repeat(40)}…"\\)$`));
  });
});
