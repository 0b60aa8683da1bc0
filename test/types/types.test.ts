// The API as a user's compiler sees it: test/types/usage.ts type-checks against the shipped
// .d.ts (by package name, after `npm run build`), and every `@ts-expect-error` in it is
// needed. Checked: built without stripInternal, the drainSync/enqueueOwned directives
// went unused (TS2578) and this failed; with `spillDir` optional in the constructor's type,
// or ProvenanceEntry without its Extra, likewise.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

describe('types', () => {
  it('usage examples compile against dist/index.d.ts, and each misuse marked @ts-expect-error fails', { timeout: 180_000 }, async () => {
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [tsc, '-p', join(root, 'test/types/tsconfig.json')], { cwd: root }, (err, stdout, stderr) => {
        resolve({ code: err ? 1 : 0, out: stdout + stderr });
      });
    });
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
});
