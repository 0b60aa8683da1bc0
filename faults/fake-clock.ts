// A preload (node --import) that steps the wall clock the way NTP, a VM resume or an
// operator does: Date.now() and new Date() are moved by PROVQ_FAKE_CLOCK_OFFSET_MS from the
// start, and by globalThis.provqSetClockOffset(ms) at run time. The monotonic clock
// (performance.now()) is left alone, as a real clock step leaves it. libfaketime would do the
// same from outside, but it is a Debian package and CI installs only what package.json does.
const RealDate = Date;
let offsetMs = Number(process.env.PROVQ_FAKE_CLOCK_OFFSET_MS ?? 0);

class SteppedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + offsetMs);
    else super(...(args as [string]));
  }

  static override now(): number {
    return RealDate.now() + offsetMs;
  }
}

globalThis.Date = SteppedDate as DateConstructor;
(globalThis as { provqSetClockOffset?: (ms: number) => void }).provqSetClockOffset = (ms: number) => {
  offsetMs = ms;
};
