// Percentiles over recorded samples.

/** The p-th percentile (0..1) by nearest rank; sorts `samples` in place. */
export function percentile(samples: Float64Array | number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = samples instanceof Float64Array ? samples.sort() : samples.sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Summary {
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samples: Float64Array | number[]): Summary {
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: percentile(samples, 1) };
}
