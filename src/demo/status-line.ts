// A live status line on a terminal (redrawn in place); plain lines, at most one a second, elsewhere.
import type { QueueStats } from '../queue/provenance-write-queue.js';

export class StatusLine {
  private lastPlain = -Infinity;
  private drawn = false;

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }) {}

  get isTTY(): boolean {
    return this.out.isTTY === true;
  }

  update(label: string, s: QueueStats): void {
    const text = `${label.padEnd(10)} enqueued ${s.enqueuedPairs}  written ${s.writtenPairs}  pending ${s.pendingPairs}  spilled ${s.spilledPairs}  respooled ${s.respooledPairs}`;
    if (this.isTTY) {
      this.out.write(`\r\x1b[2K${text}`);
      this.drawn = true;
      return;
    }
    const now = performance.now(); // a duration: the monotonic clock
    if (now - this.lastPlain < 1000) return;
    this.lastPlain = now;
    this.out.write(`${text}\n`);
  }

  /** Ends the live line (on a terminal) so the next output starts on a fresh line. */
  done(label: string, s: QueueStats): void {
    this.lastPlain = -Infinity;
    this.update(label, s);
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
