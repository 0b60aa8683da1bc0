// The committed mutation state (test/mutation/state/inc-<area>.json) is StrykerJS's incremental
// report made small. What StrykerJS matches a verdict by must survive the compaction — else the
// next session re-tests what was measured — and nothing of the machine that ran it may stay in it
// (the next session runs elsewhere). That reuse really happens, across two clones at different
// paths, was checked with StrykerJS itself (docs/testing.md, "Progress across sessions").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactReport, writeState } from './state-report.mjs';
import { tempDir } from '../helpers/temp.js';

const loc = (line: number) => ({ start: { line, column: 3 }, end: { line, column: 9 } });
const longId = (n: number) => `test/queue/read-back.test.ts#read-back a long test name number ${n}`;

const report = {
  schemaVersion: '1.0',
  projectRoot: '/work/wt-somewhere',
  config: { incrementalFile: '/work/wt-somewhere/reports/inc.json' },
  files: {
    'src/queue/read-back.ts': {
      language: 'typescript',
      source: 'export const a = 1;\n',
      mutants: [
        { id: '1', mutatorName: 'BooleanLiteral', replacement: 'false', location: loc(1), status: 'Killed', statusReason: 'x'.repeat(5000), description: 'd', duration: 12, testsCompleted: 2, killedBy: [longId(2)], coveredBy: [longId(1), longId(2), longId(3)] },
        { id: '2', mutatorName: 'ConditionalExpression', replacement: 'true', location: loc(2), status: 'Survived', testsCompleted: 3, killedBy: [], coveredBy: [longId(1), longId(3)] },
        { id: '3', mutatorName: 'BlockStatement', replacement: '{}', location: loc(3), status: 'Timeout', coveredBy: [longId(3)] },
        { id: '4', mutatorName: 'StringLiteral', replacement: '""', location: loc(4), status: 'NoCoverage', coveredBy: [] },
      ],
    },
  },
  testFiles: {
    'test/queue/read-back.test.ts': { source: 'it("…")\n', tests: [1, 2, 3].map((n) => ({ id: longId(n), name: `read-back test ${n}` })) },
  },
};

describe('the committed mutation state', () => {
  // Checked: with coveredBy dropped from every mutant (not only the killed), the survivor's and
  // the timeout's covering tests are missing and this fails; with killedBy dropped, the killed
  // mutant's killer is missing and it fails. Restored, it passes.
  it("keeps what a verdict is reused by: the sources, each mutant's place and status, a killed mutant's killers and another's covering tests", () => {
    const c = compactReport(report);
    const file = c.files['src/queue/read-back.ts']!;
    const tests = c.testFiles['test/queue/read-back.test.ts']!;
    const names = new Map(tests.tests.map((t) => [t.id, t.name]));
    const named = (ids: string[]) => ids.map((id) => names.get(id));
    const [killed, survived, timeout, none] = file.mutants as [Record<string, any>, Record<string, any>, Record<string, any>, Record<string, any>];
    expect(file.source).toBe('export const a = 1;\n');
    expect(tests.source).toBe('it("…")\n');
    expect(killed).toMatchObject({ mutatorName: 'BooleanLiteral', replacement: 'false', location: loc(1), status: 'Killed' });
    expect(named(killed.killedBy)).toEqual(['read-back test 2']);
    expect(named(survived.coveredBy)).toEqual(['read-back test 1', 'read-back test 3']);
    expect(named(timeout.coveredBy)).toEqual(['read-back test 3']);
    expect(none).toMatchObject({ status: 'NoCoverage', coveredBy: [] });
  });

  // Checked: with projectRoot and config copied into the state (the report spread whole), this
  // fails on the absolute paths. Restored, it passes.
  it('holds no path of the machine that ran it, and is smaller than the report it came from', () => {
    const text = JSON.stringify(compactReport(report));
    expect(text).not.toContain('/work/');
    expect(text.length).toBeLessThan(JSON.stringify(report).length / 4);
  });

  // Checked: with writeState writing `text` cut at its last line, JSON.parse throws. Restored, it passes.
  it('is written as JSON that reads back as the compacted report', () => {
    const path = join(tempDir(), 'state', 'inc-queue.json');
    const c = compactReport(report, { area: 'queue' });
    writeState(path, c);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(c);
  });
});
