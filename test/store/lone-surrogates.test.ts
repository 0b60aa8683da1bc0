// Strings with a lone surrogate (half of a UTF-16 pair: '\ud800' alone) are refused where
// they come in, never stored altered. LMDB's encoder (msgpackr) writes UTF-8, and such a
// string read back with U+FFFD in its place (one to three of them a surrogate): an entry's
// cue, an extra field's key, a record's text and — worse — a record's id field, so after a
// restart recall lost the record (breaker15: 0 hits for a record it found before). JSON keeps
// them (as escapes), so the journal and spill files did, and Postgres' json column did.
// Well-formed text outside ASCII (a pair such as an emoji) is stored and read back as it is.
// Checked: with each isWellFormed check removed in turn (json-data.ts walk's string and key
// checks, copyValue's string and key checks, validate.ts isKeyString, schemas.ts recordIdSchema
// and wellFormedString), the test naming that path fails; restored, they pass.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionsError, InvalidPairError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { ProvenancePair } from '../../src/schemas.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { SPILL_DIR_NAME } from '../../src/store/store-layout.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const ts = '2026-12-01T12:00:00.000Z';
const stores: LmdbMemoryStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function storeWithRecord(path = tempDir()): Promise<{ store: LmdbMemoryStore; id: string }> {
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  stores.push(store);
  return { store, id: await store.insert({ id: 'r1', text: 'tea leaves' }) };
}

/** Lone surrogates where msgpackr writes strings itself (under 64 characters) and where it uses the UTF-8 encoder. */
const lone = ['a\ud800', '\udc00b', 'x'.repeat(70) + '\udbff', '\ud83d'];
const ends = (s: string) => JSON.stringify(s.length > 10 ? `…${s.slice(-3)}` : s);

/** The message an entry with `extra` is refused with by `call`, or 'accepted'. */
async function refusal(call: (pairs: ProvenancePair[]) => unknown, extra: Record<string, unknown>): Promise<string> {
  try {
    await call([['r1', { ts, cue: 'c', sessionId: 's', ...extra }]]);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPairError);
    return (err as Error).message;
  }
  return 'accepted';
}

describe('a string with a lone surrogate', () => {
  it('in an entry is refused by enqueue, appendProvenanceBatch and appendProvenanceBatchSync, naming the field; nothing is stored', async () => {
    const { store, id } = await storeWithRecord();
    const queue = store.enableProvenanceQueue({ exitHook: false });
    const calls: [string, (pairs: ProvenancePair[]) => unknown][] = [
      ['enqueue', (p) => queue.enqueue(p)],
      ['appendProvenanceBatch', (p) => store.appendProvenanceBatch(p)],
      ['appendProvenanceBatchSync', (p) => store.appendProvenanceBatchSync(p)],
    ];
    for (const [name, call] of calls) {
      for (const s of lone) {
        expect(await refusal(call, { cue: s }), `${name}, cue ${ends(s)}`).toMatch(/^invalid provenance pair: pairs\[0\]\.entry\.cue: a string with a lone surrogate .*U\+FFFD/);
        expect(await refusal(call, { meta: { deep: [1, s] } }), `${name}, nested ${ends(s)}`).toMatch(/pairs\[0\]\.entry\.meta\.deep\[1\]: a string with a lone surrogate/);
        expect(await refusal(call, { [`k${s}`]: 1 }), `${name}, key ${ends(s)}`).toMatch(/: a key with a lone surrogate/);
        expect(await refusal(call, { meta: { [s]: true } }), `${name}, nested key ${ends(s)}`).toMatch(/: a key with a lone surrogate/);
        await expect(Promise.resolve().then(() => call([[`r${s}`, { ts, cue: 'c', sessionId: 's' }]])), `${name}, recordId ${ends(s)}`).rejects.toThrow(
          /pairs\[0\]\.recordId: recordId is a string with a lone surrogate/,
        );
      }
    }
    expect(await queue.flush()).toBe(true);
    expect((await store.get(id))!.provenance).toEqual([]);
    expect(queue.stats().enqueuedPairs).toBe(0);
  });

  it('in a record (id, text, tag) or a recall query (cue, sessionId) is refused; nothing is stored', async () => {
    const { store } = await storeWithRecord();
    for (const s of lone) {
      await expect(store.insert({ id: `id${s}`, text: 't' }), `id ${ends(s)}`).rejects.toThrow(/id: recordId is a string with a lone surrogate/);
      await expect(store.insert({ text: `t${s}` }), `text ${ends(s)}`).rejects.toThrow(/text: text is a string with a lone surrogate/);
      await expect(store.insert({ text: 't', tags: ['ok', s] }), `tag ${ends(s)}`).rejects.toThrow(/tags\[1\]: a tag is a string with a lone surrogate/);
      await expect(store.recall({ cue: `tea ${s}`, sessionId: 's' }), `cue ${ends(s)}`).rejects.toThrow(InvalidOptionsError);
      await expect(store.recall({ cue: 'tea', sessionId: s }), `sessionId ${ends(s)}`).rejects.toThrow(/sessionId: sessionId is a string with a lone surrogate/);
    }
    expect(store.stats()).toMatchObject({ records: 1, entries: 0 });
  });

  it('in a spill line sets its file aside with the reason, instead of storing U+FFFD', async () => {
    const path = tempDir();
    const spillDir = join(path, SPILL_DIR_NAME);
    mkdirSync(spillDir, { recursive: true, mode: 0o700 });
    chmodSync(spillDir, 0o700);
    const line = (cue: string) => `${JSON.stringify({ recordId: 'r1', entry: { ts, cue, sessionId: 's' } })}\n`;
    writeFileSync(join(spillDir, 'by-hand.jsonl'), line('fine') + line('a\ud800'), { mode: 0o600 });
    expect(line('a\ud800')).toContain('"a\\ud800"'); // JSON keeps it, as an escape
    const { store, id } = await storeWithRecord(path);
    const queue = store.enableProvenanceQueue({ exitHook: false, idlePollMs: 20 });
    const reasons: string[] = [];
    queue.on('quarantined', (e: { reason: string }) => reasons.push(e.reason));
    expect(await until(() => queue.stats().quarantinedFiles === 1 || (store.stats().entries > 0), 30_000)).toBe(true);
    expect(queue.stats().quarantinedFiles).toBe(1);
    expect(reasons.join()).toMatch(/lone surrogate/);
    expect((await store.get(id))!.provenance).toEqual([]);
  });

  it('is told apart from well-formed text outside ASCII, which is stored and read back as written', async () => {
    const { store, id } = await storeWithRecord();
    const texts = ['😀', 'é', '\ud83d\ude00'.repeat(40), 'ok\u0000nul', 'del\u007f', '中文'.repeat(100)];
    const entries = texts.map((t, i) => ({ ts, cue: t, sessionId: `s${i}`, [`k${t.slice(0, 4)}`]: t }));
    await store.appendProvenanceBatch(entries.slice(0, 3).map((e) => [id, e]));
    store.appendProvenanceBatchSync(entries.slice(3).map((e) => [id, e]));
    const queue = store.enableProvenanceQueue({ exitHook: false });
    queue.enqueue(entries.map((e) => [id, e]));
    expect(await queue.flush()).toBe(true);
    const back = (await store.get(id))!.provenance.map(({ entryId: _, ...e }) => e);
    expect(back).toEqual([...entries, ...entries]);
    const other = await store.insert({ id: 'r😀', text: 'tea 中文', tags: ['é'] });
    expect(await store.get(other)).toMatchObject({ id: 'r😀', text: 'tea 中文', tags: ['é'] });
  });
});
