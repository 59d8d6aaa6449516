import { request, type ClientRequest } from 'node:http';
import type { Target } from '../lib/servers.ts';
import { openBounded, type BoundedResult } from './bounded.ts';
import { expectStatus, HttpClient } from './http.ts';
import type { LoadContext } from './protocol.ts';

export interface SseParams {
  target: Target;
  streams: number;
  warmupStreams: number;
  concurrency: number;
  deadlineMs: number;
}

export interface SseResult {
  open: number;
  failures: string[];
  elapsedMs: number;
}

/** Creates a QR session and opens its event stream; resolves once CONNECT has arrived. */
async function openStream(http: HttpClient, baseUrl: string): Promise<ClientRequest> {
  const created = expectStatus(await http.send('POST', '/api/v1/qr/sessions', { body: {} }), 201, 'qr session');
  const path = `/api/v1/qr/sessions/${encodeURIComponent(created.body.sessionId as string)}/events`;
  return new Promise((resolve, reject) => {
    // agent:false: one long-lived connection per stream, as separate browsers would hold.
    const req = request(new URL(path, baseUrl), { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`events: status ${res.statusCode}`));
        return;
      }
      let seen = '';
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        if (!seen.includes('CONNECT')) return;
        // Keep reading (so the server's writes never back up) but stop buffering pings.
        res.off('data', onData);
        res.resume();
        resolve(req);
      };
      res.on('data', onData);
      res.on('error', () => undefined);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no CONNECT within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

async function openMany(target: Target, count: number, concurrency: number, deadlineMs: number): Promise<BoundedResult<ClientRequest>> {
  const http = new HttpClient(target.url);
  try {
    const run = await openBounded(count, { concurrency, deadlineMs }, () => openStream(http, target.url));
    // Idle is the point: an open stream is never timed out by the client.
    for (const req of run.items) req.setTimeout(0);
    return run;
  } finally {
    http.close();
  }
}

/** Holds `streams` open QR event streams until told to "release". */
export async function sseClient(raw: unknown, ctx: LoadContext): Promise<SseResult> {
  const { target, streams, warmupStreams, concurrency, deadlineMs } = raw as SseParams;
  const warm = await openMany(target, warmupStreams, concurrency, deadlineMs);
  for (const req of warm.items) req.destroy();
  if (warm.failures.length > 0) throw new Error(`warm-up failed: ${warm.failures.slice(0, 3).join('; ')}`);
  ctx.phase('warm');
  await ctx.waitFor('go');
  const run = await openMany(target, streams, concurrency, deadlineMs);
  const result: SseResult = { open: run.items.length, failures: run.failures.slice(0, 5), elapsedMs: run.elapsedMs };
  ctx.phase('connected', result);
  await ctx.waitFor('release', 300_000);
  for (const req of run.items) req.destroy();
  return result;
}
