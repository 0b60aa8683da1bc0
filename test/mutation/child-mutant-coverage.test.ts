// Under StrykerJS, a test's children report which mutants they ran (test/helpers/
// child-mutant-coverage.mjs, loaded with --import). What runs at exit must count too — the
// exit drain's signal path, signal-exit's callbacks, an app's exit listener — or the mutants
// there show as "no coverage" and are never run against the child-process tests that reach them.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COVERAGE_DIR_ENV } from '../helpers/child-mutant-coverage.mjs';
import { tempDir } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./exit-coverage-child.mjs', import.meta.url));
const REPORTER = fileURLToPath(new URL('../helpers/child-mutant-coverage.mjs', import.meta.url));

function coverageOf(ending: 'exit' | 'signal' | 'natural'): { status: number | null; signal: string | null; ran: string[] } {
  const dir = tempDir();
  const r = spawnSync(process.execPath, ['--import', REPORTER, CHILD, ending], { env: { ...process.env, [COVERAGE_DIR_ENV]: dir }, timeout: 20_000 });
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const ran = files.flatMap((f) => Object.keys((JSON.parse(readFileSync(join(dir, f), 'utf8')) as { static: object }).static));
  return { status: r.status, signal: r.signal, ran: ran.sort() };
}

describe("a child's mutant coverage (npm run mutate)", () => {
  // Checked: with the reporter as it was (saved from the first 'exit' listener, nothing saved
  // before a signal), the exit and natural cases lack both exit-time marks and the signal case
  // wrote no file at all (ran: []); all three fail. Restored, they pass.
  it('includes what ran in exit listeners and signal-exit callbacks, at process.exit and at a natural end', () => {
    for (const ending of ['exit', 'natural'] as const) {
      const r = coverageOf(ending);
      expect({ ending, status: r.status, ran: r.ran }).toEqual({
        ending,
        status: ending === 'exit' ? 3 : 0,
        ran: ['exit listener', 'signal-exit callback at exit', 'start'],
      });
    }
  });

  it('includes what a drain on SIGTERM ran, and the child still dies by the signal', () => {
    const r = coverageOf('signal');
    expect(r).toEqual({ status: null, signal: 'SIGTERM', ran: ['signal-exit callback on a signal', 'start'] });
  });
});
