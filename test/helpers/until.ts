// Polls a condition until it holds or the time is up; returns whether it held. On the
// monotonic clock: a wall-clock step (NTP, a suspended VM) neither cuts a wait short nor
// stretches it. Give a positive wait a generous limit (it returns as soon as the condition
// holds; a loaded machine is slow, not wrong); a wait that must stay false is a window, and
// only proves as much as its length.
//
// In a StrykerJS mutant run the test's own limit there (test/helpers/mutation-deadline.ts: 3 × its
// dry-run time + 10 s) ends a positive wait sooner, with an error that says so.
export async function until(cond: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  const deadline = (globalThis as { __provqMutationDeadline?: number }).__provqMutationDeadline;
  while (performance.now() < end) {
    if (cond()) return true;
    if (deadline !== undefined && performance.now() > deadline) {
      throw new Error('mutation run: the condition did not hold within the test\'s limit (3 × its dry-run time + 10 s, StrykerJS\'s timeout rule)');
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return cond();
}
