// The journal of a spill dir given with a trailing slash (`--dir spill/`, as a shell's tab
// completion writes it) is the same `spill-journal` beside it. Found 2026-11-30 (breakit9):
// `provq spill replay --postgres URL --dir spill/` looked for a journal at `spill/-journal`,
// found none, and said "replayed 0 files, 0 pairs", exit 0, with a dead writer's 3
// acknowledged pairs still only in `spill-journal`; and a store opened with
// `spillDir: 'spill/'` put its journal at `spill/-journal`, inside the spill dir.
// Checked: with journalDirBeside returning `${spillDir}-journal` (the code before), both tests
// fail (0 pairs replayed; the journal dir inside the spill dir).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { PostgresMemoryStore } from '../../src/store/postgres-memory-store.js';
import { spillLine } from '../../src/spill/spill-writer.js';
import { formatEntryId } from '../../src/entry-id.js';
import { freshSchema, testDatabase } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';
import { provq } from './run-provq.js';

let url = '';
beforeAll(async () => {
  url = (await testDatabase()).url;
});

async function pgStore(schema: string, spillDir: string): Promise<PostgresMemoryStore> {
  return PostgresMemoryStore.open({ connectionString: url, schema, spillDir, logger: silentLogger });
}

/** A pid no process has now: a child's, after it ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('a spill dir given with a trailing slash', () => {
  it('provq spill replay --dir spill/ applies the dead writer’s journal in spill-journal', async () => {
    const schema = freshSchema();
    const dir = join(tempDir('provq-cli-pgj-'), 'spill');
    const s = await pgStore(schema, dir);
    await s.insert({ id: 'r1', text: 'one' });
    await s.close();
    // What a writer killed with -9 leaves: a segment of acknowledged pairs in <spillDir>-journal.
    const journal = `${dir}-journal`;
    mkdirSync(journal, { mode: 0o700 });
    const lines = ['a', 'b', 'c'].map((cue, i) => spillLine(['r1', { ts: new Date().toISOString(), cue, sessionId: 's', entryId: formatEntryId(Date.now(), i) }]));
    writeFileSync(join(journal, `${Date.now()}-000001-${deadPid()}-journal.jsonl`), lines.join(''), { mode: 0o600 });

    const r = await provq('spill', 'replay', '--postgres', url, '--schema', schema, '--dir', `${dir}/`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('replayed 1 file, 3 pairs'); // before: 0 files, 0 pairs
    const after = await pgStore(schema, dir);
    try {
      expect((await after.get('r1'))!.provenance.map((e) => e.cue)).toEqual(['a', 'b', 'c']);
    } finally {
      await after.close();
    }
    expect(readdirSync(journal).filter((n) => n.endsWith('.jsonl'))).toEqual([]);
  });

  it('a store opened with spillDir "spill/" journals beside the spill dir, never inside it', async () => {
    const dir = join(tempDir('provq-pgj-'), 'spill');
    const s = await pgStore(freshSchema(), `${dir}/`);
    try {
      const q = s.enableProvenanceQueue({ exitHook: false });
      expect(q.journalDir).toBe(`${dir}-journal`); // before: `${dir}/-journal`
    } finally {
      await s.close();
    }
  });
});
