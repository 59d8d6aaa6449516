import type { SequentialSample } from '../lib/stats.ts';
import type { LoadContext } from './protocol.ts';

/**
 * Runs `once` back to back: for `warmupMs` untimed, then reports the "measuring" phase (the
 * orchestrator starts reading server CPU there) and times each call for `durationMs`.
 */
export async function timeSequential(once: () => Promise<unknown>, ctx: LoadContext, warmupMs: number, durationMs: number): Promise<SequentialSample> {
  const warmupEnd = performance.now() + warmupMs;
  while (performance.now() < warmupEnd) await once();
  ctx.phase('measuring');
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + durationMs;
  while (performance.now() < end) {
    const t0 = performance.now();
    await once();
    latencies.push(performance.now() - t0);
  }
  return { latencies, windowMs: performance.now() - started, count: latencies.length };
}
