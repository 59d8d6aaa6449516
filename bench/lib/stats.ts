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

/** What a sequential load client returns for one round; rounds are pooled by `pool`. */
export interface SequentialSample {
  latencies: number[];
  windowMs: number;
  count: number;
}

export function pool(samples: readonly SequentialSample[]): LatencySummary {
  return summarize(
    samples.flatMap((s) => s.latencies),
    samples.reduce((sum, s) => sum + s.windowMs, 0),
  );
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export function summarize(latenciesMs: readonly number[], windowMs: number): LatencySummary {
  return {
    count: latenciesMs.length,
    p50: percentile(latenciesMs, 50),
    p99: percentile(latenciesMs, 99),
    max: latenciesMs.length ? latenciesMs.reduce((a, b) => Math.max(a, b), -Infinity) : Number.NaN,
    throughput: windowMs > 0 ? (latenciesMs.length * 1000) / windowMs : Number.NaN,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Server CPU µs per operation over pooled rounds that each report their operations and CPU ms. */
export const cpuUsPerOp = (rounds: readonly { count: number; cpuMs: number }[]): number =>
  (rounds.reduce((sum, r) => sum + r.cpuMs, 0) * 1000) / Math.max(1, rounds.reduce((sum, r) => sum + r.count, 0));
