/**
 * Loaded with `--import` into both servers (relay and baseline), so their event-loop delay is
 * measured the same way, outside their own code. Answers the orchestrator over the IPC channel:
 *   loop:reset → clears the histogram;  loop:read → { p50, p99, max, mean } in ms;  gc → full GC.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

interface Command {
  bench?: string;
  id?: number;
}

// 5 ms sampling: fine enough to see stalls of a few ms without measurable overhead of its own.
const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();

const ms = (ns: number) => ns / 1e6;

process.on('message', (message: Command) => {
  if (typeof message?.bench !== 'string' || !process.send) return;
  const reply = (body: Record<string, unknown>) => process.send?.({ id: message.id, ...body });
  switch (message.bench) {
    case 'loop:reset':
      histogram.reset();
      reply({});
      break;
    case 'loop:read':
      reply({ p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean), samples: histogram.count });
      break;
    case 'gc': {
      // Needs --expose-gc; without it the RSS reading simply includes more garbage.
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      reply({ collected: gc !== undefined });
      break;
    }
    default:
      reply({ error: `unknown command ${message.bench}` });
  }
});

// If the orchestrator dies without cleaning up, the server must not outlive it.
process.on('disconnect', () => process.exit(0));
