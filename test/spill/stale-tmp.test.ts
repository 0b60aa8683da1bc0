import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverAbandonedTmpFiles } from '../../src/spill/stale-tmp.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp.js';
import { handLine, writeRawFile } from '../helpers/spill-files.js';

const DEAD_PID = 2 ** 22 + 17; // above Linux's pid_max default: no such process

function age(dir: string, name: string): void {
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(dir, name), old, old);
}

describe('abandoned spill writes (*.jsonl.tmp of a dead writer)', () => {
  it('puts a complete one in line, quarantines an incomplete one, and leaves live or fresh ones alone', async () => {
    const dir = tempDir();
    const complete = `1700000000000-000001-${DEAD_PID}.jsonl.tmp`;
    const partial = `1700000000000-000002-${DEAD_PID}.jsonl.tmp`;
    const live = `1700000000000-000003-${process.pid}.jsonl.tmp`;
    const fresh = `1700000000000-000004-${DEAD_PID}.jsonl.tmp`;
    writeRawFile(dir, complete, `${handLine('r1', 'a')}\n${handLine('r1', 'b')}\n`);
    writeRawFile(dir, partial, `${handLine('r1', 'c')}\n${handLine('r1', 'd').slice(0, 20)}`);
    writeRawFile(dir, live, `${handLine('r1', 'e')}\n`);
    writeRawFile(dir, fresh, `${handLine('r1', 'f')}\n`);
    for (const n of [complete, partial, live]) age(dir, n);
    expect(await recoverAbandonedTmpFiles(dir, silentLogger)).toBe(2);
    const names = readdirSync(dir).sort();
    expect(names).toContain(`1700000000000-000001-${DEAD_PID}.jsonl`);
    expect(names.some((n) => /^1700000000000-000002-\d+\.failed-\d+\.jsonl$/.test(n))).toBe(true);
    expect(names).toContain(live);
    expect(names).toContain(fresh);
  });
});
