// The suite as `npm run mutate` runs it: every test but the docs/api.md check, which runs
// typedoc over src/ — inside Stryker's sandbox that is the instrumented source, whose
// generated helpers typedoc warns about, and no mutant of the core is killed by docs.
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    // 60 s, not npm test's 120 s: a mutant that hangs a test costs its full limit here.
    test: { exclude: [...configDefaults.exclude, 'test/docs/api-doc.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 },
  }),
);
