export interface BoundedResult<T> {
  items: T[];
  failures: string[];
  elapsedMs: number;
}

/**
 * Opens `count` long-lived things (sockets, streams) with at most `concurrency` attempts in flight
 * and an overall deadline; stops after `maxFailures` so a broken server fails fast instead of
 * timing out 10,000 times. With `ratePerSec`, attempts start at that rate at most.
 */
export async function openBounded<T>(
  count: number,
  options: { concurrency: number; deadlineMs: number; maxFailures?: number; ratePerSec?: number },
  open: (index: number, msLeft: number) => Promise<T>,
): Promise<BoundedResult<T>> {
  const started = performance.now();
  const deadline = Date.now() + options.deadlineMs;
  const maxFailures = options.maxFailures ?? 20;
  const items: T[] = [];
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline && failures.length < maxFailures) {
      const index = next++;
      // Paced: attempt i starts no earlier than i/rate seconds in (an arrival rate, not a burst).
      if (options.ratePerSec) {
        const wait = started + (index * 1000) / options.ratePerSec - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      try {
        items.push(await open(index, deadline - Date.now()));
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, worker));
  return { items, failures, elapsedMs: performance.now() - started };
}
