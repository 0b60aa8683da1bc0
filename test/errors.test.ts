// Every error class has a stable PROVQ_ code, is exported from the package and listed in
// docs/errors.md; src/ throws no bare Error. Checked: removing a `code` field fails
// tsc (abstract member) and the first test; a class left out of index.ts or the docs, a
// duplicated code, or a `throw new Error(` added to src/ each fail their test.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import * as api from '../src/index.js';

const root = join(import.meta.dirname, '..');
type ErrorClass = new (message: string) => errors.ProvenanceQueueError;

const classes = (Object.entries(errors) as [string, unknown][]).filter(
  (e): e is [string, ErrorClass] =>
    typeof e[1] === 'function' && e[1] !== errors.ProvenanceQueueError && e[1].prototype instanceof errors.ProvenanceQueueError,
);

describe('error codes', () => {
  it('every error class has a PROVQ_ code, distinct from the others, and its own name', () => {
    expect(classes.length).toBeGreaterThanOrEqual(12);
    const codes = new Set<string>();
    for (const [name, Cls] of classes) {
      const err = new Cls('m');
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe(name);
      expect(err.code, name).toMatch(/^PROVQ_[A-Z]+(_[A-Z]+)*$/);
      expect(codes.has(err.code), `${err.code} used twice`).toBe(false);
      codes.add(err.code);
    }
  });

  it('every error class is exported from the package', () => {
    for (const [name, Cls] of classes) expect((api as Record<string, unknown>)[name], name).toBe(Cls);
    expect(api.ProvenanceQueueError).toBe(errors.ProvenanceQueueError);
  });

  it('docs/errors.md lists every code with its class', () => {
    const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    for (const [name, Cls] of classes) {
      const code = new Cls('m').code;
      expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| \`${name}\` \\|`));
    }
  });

  it('src/ throws no Error without a code (new Error, TypeError, RangeError)', () => {
    const bare: string[] = [];
    const walk = (dir: string): void => {
      for (const d of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, d.name);
        if (d.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          readFileSync(p, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              // StrykerJS's instrumented copy of src/ (npm run mutate) adds one of its own to each file.
              if (line.includes("new Error('Stryker: ")) return;
              if (/new (Error|TypeError|RangeError|SyntaxError)\(/.test(line)) bare.push(`${p}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(join(root, 'src'));
    expect(bare).toEqual([]);
  });
});
