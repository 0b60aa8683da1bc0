// Exit codes and error lines: 2 for usage, 1 for failure, one line on stderr, never a stack.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { provq } from './run-provq.js';

function expectOneLine(stderr: string, what: string): void {
  expect(stderr.trim().split('\n'), what).toHaveLength(1);
  expect(stderr, what).toMatch(/^provq: /);
  expect(stderr, what).not.toMatch(/\bat .*\.js:\d+/);
}

describe('provq usage and errors', () => {
  it('bad usage exits 2 with one line naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [[], /no command given/],
      [['spill'], /spill needs a command: status, replay, retry/],
      [['spill', 'statuz'], /unknown command 'statuz'.*Did you mean status/],
      [['spill', 'status'], /either --store PATH or --dir DIR/],
      [['spill', 'replay'], /give either --store PATH or --postgres URL/],
      [['spill', 'retry', 'plain.jsonl'], /^provq: plain\.jsonl: not a quarantined spill file/],
      [['stats', '--store', '/x', '--bogus'], /unknown option '--bogus'/],
      [['stats', '--store', '/x', '--record', ''], /--record: recordId must not be empty/],
    ];
    const runs = await Promise.all(cases.map(([args]) => provq(...args)));
    runs.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expectOneLine(r.stderr, args.join(' '));
      expect(r.stderr, args.join(' ')).toMatch(message);
    });
  });

  it('a failure exits 1 with one line naming the path', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    const r = await provq('stats', '--store', file);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, 'stats on a file');
    expect(r.stderr).toContain(`--store ${file}: not a directory`);
    const gone = await provq('spill', 'retry', join(tempDir(), 'x.failed-1.jsonl'));
    expect(gone.code).toBe(1);
    expectOneLine(gone.stderr, 'retry of a missing file');
  });
});
