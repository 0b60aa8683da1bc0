// Polls a condition until it holds or the time is up; returns whether it held. On the
// monotonic clock: a wall-clock step (NTP, a suspended VM) neither cuts a wait short nor
// stretches it. Give a positive wait a generous limit (it returns as soon as the condition
// holds; a loaded machine is slow, not wrong); a wait that must stay false is a window, and
// only proves as much as its length.
//
// In a StrykerJS mutant run the test's own limit there (test/helpers/mutation-deadline.ts: 3 × its
// dry-run time + 10 s) ends a positive wait sooner, with an error that says so; so does the
// mutant's hit limit once passed (the run's verdict is then a timeout, whatever the tests do).
export const HIT_LIMIT_PASSED = 'mutation run: the mutant\'s hit limit was passed (StrykerJS counts the run a timeout)';

/**
 * In a StrykerJS mutant run: the active mutant ran more often than its hit limit (100 × its runs
 * in the dry run) in this test file. StrykerJS's instrumented code throws at that point, but the
 * queue's worker supervisor catches the error and restarts the loop, so a test could go on for
 * minutes; StrykerJS counts the run a timeout whatever the tests do next.
 */
export function hitLimitPassed(): boolean {
  const ns = (globalThis as { __stryker__?: { hitCount?: number; hitLimit?: number } }).__stryker__;
  return ns?.hitLimit !== undefined && ns.hitCount !== undefined && ns.hitCount > ns.hitLimit;
}

export async function until(cond: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  const deadline = (globalThis as { __provqMutationDeadline?: number }).__provqMutationDeadline;
  while (performance.now() < end) {
    if (cond()) return true;
    if (deadline !== undefined && performance.now() > deadline) {
      throw new Error('mutation run: the condition did not hold within the test\'s limit (3 × its dry-run time + 10 s, StrykerJS\'s timeout rule)');
    }
    if (hitLimitPassed()) throw new Error(HIT_LIMIT_PASSED);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return cond();
}
