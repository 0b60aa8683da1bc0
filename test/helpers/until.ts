// Polls a condition until it holds or the time is up; returns whether it held. On the
// monotonic clock: a wall-clock step (NTP, a suspended VM) neither cuts a wait short nor
// stretches it. Give a positive wait a generous limit (it returns as soon as the condition
// holds; a loaded machine is slow, not wrong); a wait that must stay false is a window, and
// only proves as much as its length.
export async function until(cond: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return cond();
}
