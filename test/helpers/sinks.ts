// Sinks for tests: fakes live only at the sink interface (slow, held closed, failing).
import type { ProvenancePair } from '../../src/schemas.js';
import type { ProvenanceSink } from '../../src/sink.js';

/** Records every pair it is given; can be held closed (calls wait) or made slow. */
export class RecordingSink implements ProvenanceSink {
  readonly calls: ProvenancePair[][] = [];
  delayMs = 0;
  failNext = 0;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  get pairs(): ProvenancePair[] {
    return this.calls.flat();
  }

  cues(): string[] {
    return this.pairs.map(([, e]) => e.cue);
  }

  hold(): void {
    this.gate ??= new Promise((r) => (this.openGate = r));
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
    this.openGate = null;
  }

  /** Calls under way right now (held, delayed or about to fail), and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;

  async appendProvenanceBatch(pairs: ProvenancePair[]): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate;
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('injected sink failure');
      }
      this.calls.push(pairs);
    } finally {
      this.inFlight--;
    }
  }
}

export function pair(recordId: string, cue: string, extra: Record<string, unknown> = {}): ProvenancePair {
  return [recordId, { ts: new Date().toISOString(), cue, sessionId: 's1', ...extra }];
}
