/** Nearest-rank percentile of an unsorted sample (ms, bytes, …); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Completed operations per second over the measured window. */
  throughput: number;
}

export function summarize(latenciesMs: readonly number[], windowMs: number): LatencySummary {
  return {
    count: latenciesMs.length,
    p50: percentile(latenciesMs, 50),
    p99: percentile(latenciesMs, 99),
    max: latenciesMs.length ? Math.max(...latenciesMs) : Number.NaN,
    throughput: windowMs > 0 ? (latenciesMs.length * 1000) / windowMs : Number.NaN,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
