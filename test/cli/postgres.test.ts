// provq against a PostgresMemoryStore: every command that takes --store PATH also takes
// --postgres URL --dir SPILLDIR (the host's local spill dir), on the run's real server.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { writeQueueSpillFile, writeRawFile } from '../helpers/spill-files.js';
import { freshSchema, testDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';
import { line, provq } from './run-provq.js';

let url = '';
beforeAll(async () => {
  url = (await testDatabase()).url; // provq runs from dist/, built by npm test
});

/** A Postgres store (fresh schema) holding the records, and a spill dir for it. */
async function makePgStore(records: string[]): Promise<{ schema: string; dir: string }> {
  const schema = freshSchema();
  const dir = join(tempDir('provq-cli-pg-'), 'spill');
  const s = await PostgresMemoryStore.open({ connectionString: url, schema, spillDir: dir, logger: silentLogger });
  for (const id of records) await s.insert({ id, text: `record ${id}` });
  await s.close();
  return { schema, dir };
}

async function cuesOf(schema: string, id: string): Promise<string[]> {
  const s = await PostgresMemoryStore.open({ connectionString: url, schema, spillDir: tempDir(), logger: silentLogger });
  try {
    return (await s.get(id))!.provenance.map((e) => e.cue);
  } finally {
    await s.close();
  }
}

describe('provq with --postgres URL --dir SPILLDIR', () => {
  it('spill status shows the host’s pending pairs; replay applies them (twice adds nothing); stats reads the database', async () => {
    const { schema, dir } = await makePgStore(['r1', 'r2', 'r3']);
    const name = await writeQueueSpillFile(dir, 'r1', ['a', 'b', 'c']);
    await writeQueueSpillFile(dir, 'r2', ['d']);
    const copy = readFileSync(join(dir, name));

    const status = await provq('spill', 'status', '--postgres', url, '--dir', dir, '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).pending).toMatchObject({ files: 2, pairs: 4 });

    const r = await provq('spill', 'replay', '--postgres', url, '--schema', schema, '--dir', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/replayed 2 files, 4 pairs into postgres:\/\/postgres:\*\*\*@/);
    expect(r.stdout).not.toContain('provq-test'); // the password
    expect(await cuesOf(schema, 'r1')).toEqual(['a', 'b', 'c']);

    // The same file again (another host replayed it too, or a backup came back): stored once.
    await writeQueueSpillFile(dir, 'r2', ['e']);
    writeRawFile(dir, name, copy);
    const again = await provq('spill', 'replay', '--postgres', url, '--schema', schema, '--dir', dir);
    expect(again.code, again.stderr).toBe(0);

    const stats = await provq('stats', '--postgres', url, '--schema', schema, '--json');
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toEqual({
      records: 3,
      entries: 5,
      history: [
        { id: 'r1', entries: 3 },
        { id: 'r2', entries: 2 },
        { id: 'r3', entries: 0 },
      ],
    });
    const one = JSON.parse((await provq('stats', '--postgres', url, '--schema', schema, '--record', 'r2', '--json')).stdout);
    expect(one.provenance.map((e: { cue: string }) => e.cue)).toEqual(['d', 'e']);
  });

  it('spill retry --postgres applies a fixed quarantined file to the database', async () => {
    const { schema, dir } = await makePgStore(['r1']);
    writeRawFile(dir, 'bad.jsonl', `${line('r1', 'g1')}\n{oops\n`);
    expect((await provq('spill', 'replay', '--postgres', url, '--schema', schema, '--dir', dir)).code).toBe(1);
    const q = readdirSync(dir).find((n) => /\.failed-\d+\.jsonl$/.test(n))!;
    writeRawFile(dir, q, `${line('r1', 'g1')}\n${line('r1', 'g2')}\n`); // fixed by hand
    const r = await provq('spill', 'retry', join(dir, q), '--postgres', url, '--schema', schema);
    expect(r.code, r.stderr).toBe(0);
    expect(await cuesOf(schema, 'r1')).toEqual(['g1', 'g2']);
  });

  // Checked: without the --dir refinement in args.ts, replay --postgres without --dir is no
  // usage error (exit 1, not 2) and this fails on the exit code.
  it('says what is missing or wrong, in one line, with the right exit code', async () => {
    const noDir = await provq('spill', 'replay', '--postgres', url);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toMatch(/^provq: --postgres needs --dir SPILLDIR/);
    const both = await provq('stats', '--store', tempDir(), '--postgres', url);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give either --store PATH or --postgres URL/);
    const notUrl = await provq('stats', '--postgres', 'localhost:5432');
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toMatch(/--postgres needs a postgres:\/\/ URL/);
    const noStore = await provq('stats', '--postgres', url, '--schema', 'nothing_here');
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toMatch(/^provq: --postgres: no store in schema nothing_here/);
    const down = await provq('stats', '--postgres', 'postgres://u:secret@127.0.0.1:1/db');
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^provq: --postgres: cannot reach the database/);
    expect(down.stderr).not.toContain('secret');
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
  });
});
