// Recall latency samples and their percentiles.

export class LatencyRecorder {
  private readonly samplesMs: number[] = [];

  async time<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    const out = await fn();
    this.samplesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    return out;
  }

  get count(): number {
    return this.samplesMs.length;
  }

  percentile(p: number): number {
    if (this.samplesMs.length === 0) return 0;
    const sorted = [...this.samplesMs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  }
}
