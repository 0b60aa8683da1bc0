// Under StrykerJS's mutant runs only (a setup file of vitest.mutate.config.ts; `npm test` never
// loads it): each test gets StrykerJS's own time limit — timeoutFactor × the test's time in the
// dry run + timeoutMS, 3 × and 10 s as `npm run mutate` runs — and `until()` (test/helpers/until.ts)
// gives up at it, failing the test with a message that says so, instead of waiting out its own
// load-tolerant limit (most are 30–60 s). A mutant that stops something from happening was
// otherwise killed only when that wait ran out: 61 s for each of the first kills measured in
// session 13. A test past that limit is what StrykerJS counts as a timeout (killed); this
// applies the same rule per test, in time the test's thread was given (below). The dry run's
// times come from mutant-log-reporter.mjs, through $MUTATE_DRY_RUN (an absolute path: the
// runner works in StrykerJS's sandbox).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterEach, beforeEach, inject } from 'vitest';
import { HIT_LIMIT_PASSED, hitLimitPassed } from './until.js';

export const DEADLINE_KEY = '__provqMutationDeadline';
const FACTOR = 3;
const PLUS_MS = 10_000;

type Task = { name: string; suite?: Task; file?: { filepath: string } };
declare module 'vitest' {
  export interface ProvidedContext {
    mode?: string;
  }
}

let times: Map<string, number> | null | undefined;
const dryRunTimes = (): Map<string, number> | null => {
  if (times !== undefined) return times;
  try {
    const dry = JSON.parse(readFileSync(process.env.MUTATE_DRY_RUN!, 'utf8')) as { tests: { id: string; ms: number }[] };
    times = new Map(dry.tests.map((t) => [t.id, t.ms]));
  } catch {
    times = null; // no dry-run times (another runner, a run not started by run-areas.mjs): no limit
  }
  return times;
};

/** StrykerJS's id of a test (its vitest runner's `toRawTestId`, made relative as it reports them). */
const testId = (task: Task): string => {
  const parts = [task.name];
  for (let s = task.suite; s; s = s.suite) parts.unshift(s.name);
  return `${relative(process.cwd(), task.file?.filepath ?? '')}#${parts.join(' ').trim()}`;
};

// Time this thread did not get is not counted: the run is niced on a shared machine, and while
// others' work takes the cores a test (its children niced too) can stall for longer than its
// limit. A timer ticks every TICK_MS; what it fires late beyond SLACK_MS moves the limit on.
const TICK_MS = 100;
const SLACK_MS = 50;

const g = globalThis as Record<string, unknown>;
let ticker: ReturnType<typeof setInterval> | undefined;
// A mutant's hit limit passed in a test ends the run there (until() ends a wait at it too): the
// verdict is a timeout already (StrykerJS compares the run's hits with the limit at its end, and
// they only grow), and the rest of the tests would only take time.
if (inject('mode') === 'mutant') {
  afterEach(() => {
    if (hitLimitPassed()) throw new Error(HIT_LIMIT_PASSED);
  });
}
if (process.env.MUTATE_DRY_RUN && inject('mode') === 'mutant') {
  beforeEach(({ task }) => {
    const ms = dryRunTimes()?.get(testId(task as Task));
    if (ms === undefined) return;
    g[DEADLINE_KEY] = performance.now() + FACTOR * ms + PLUS_MS;
    let last = performance.now();
    ticker = setInterval(() => {
      const now = performance.now();
      const late = now - last - TICK_MS;
      if (late > SLACK_MS && typeof g[DEADLINE_KEY] === 'number') g[DEADLINE_KEY] += late;
      last = now;
    }, TICK_MS);
    ticker.unref();
  });
  afterEach(() => {
    clearInterval(ticker);
    ticker = undefined;
    delete g[DEADLINE_KEY];
  });
}
