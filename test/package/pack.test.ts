// What `npm pack` would publish: the built library, the CLI, the fixtures and the docs;
// no fault harness, benchmark, test, source map or TypeScript source. Checked: a bench
// file left in dist/bench/ (as the old build compiled src/bench) made this fail, listing it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('npm pack', () => {
  it('lists the library and no harness, benchmark, test or source map file', { timeout: 120_000 }, async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root }, (err, out) => (err ? reject(err) : resolve(out)));
    });
    const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cli/provq.js', 'package.json', 'README.md', 'docs/api.md']));
    const unwanted = files.filter(
      (f) => /(^|\/)(faults|bench|test|src)\//.test(f) || /\.map$/.test(f) || (/\.ts$/.test(f) && !f.endsWith('.d.ts')) || /stryker|vitest/.test(f),
    );
    expect(unwanted).toEqual([]);
  });
});
