import { measureHeld } from '../lib/held.ts';
import { withServer } from '../lib/with-server.ts';
import type { SseParams, SseResult } from '../load/sse.ts';
import { row, skipped } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Scenario 6: open QR event streams. The seed had no SSE, so there is no baseline figure. */
export const sse: Scenario = {
  name: 'sse',
  title: 'Open QR login event streams (SSE), relay only',
  async run({ quick, features }) {
    if (!features.qr) return skipped('the QR login feature (/api/v1/qr/sessions) is not on this branch yet');
    const streams = quick ? 300 : 2000;
    const result = await withServer('relay', {}, (server) => {
      const params: SseParams = { target: server.target, streams, warmupStreams: 50, concurrency: 25, deadlineMs: 120_000 };
      return measureHeld<SseResult>(server, 'sse', params);
    });
    const perStreamKb = (result.rssAfterBytes - result.rssBeforeBytes) / 1024 / Math.max(1, result.held.open);
    return {
      status: result.held.open < streams ? 'failed' : 'ok',
      ...(result.held.open < streams ? { reason: `only ${result.held.open}/${streams} streams opened: ${result.held.failures.join('; ')}` } : {}),
      rows: [
        row(`RSS per open stream incl. its session (${streams})`, 'KB', perStreamKb, null),
        row('event-loop delay p99 while opening', 'ms', result.loop.p99, null),
        row('time to open all', 'ms', result.held.elapsedMs, null),
      ],
      notes: ['No baseline: the seed had no SSE; the figures stand alone.'],
    };
  },
};
