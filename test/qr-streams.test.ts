import { describe, expect, it } from 'vitest';
import { qrFeature, type QrFeature } from '../src/features/qr.ts';
import type { LocalPubSub } from '../src/store/local-pubsub.ts';
import { bearer, createSession, sessionUrl } from './helpers/qr.ts';
import { pair, postJson, useRelay } from './helpers/relay.ts';
import { openSse, type SseClient } from './helpers/sse.ts';

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('QR stream resources', () => {
  let qr: QrFeature;
  const current = useRelay({ features: [(context) => (qr = qrFeature(context))], env: { QR_PING_INTERVAL: '1', RATE_LIMITS: 'off' } });

  it('releases every timer and subscription when 500 clients drop their streams', async () => {
    const relay = current();
    const pubsub = relay.store as unknown as LocalPubSub;
    const baseline = pubsub.listenerCount();
    // Two streams per session, the most a session allows.
    const sessions = await Promise.all(Array.from({ length: 250 }, () => createSession(relay)));
    const streams: SseClient[] = [];
    for (let batch = 0; batch < 5; batch++) {
      streams.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, i) => openSse(sessionUrl(relay, sessions[(batch * 100 + i) % 250]!.sessionId, '/events'))),
        )),
      );
    }
    await Promise.all(streams.map((s) => s.next('CONNECT', 10_000)));
    expect(qr.liveStreams()).toEqual({ streams: 500, timers: 1500, subscriptions: 500 });
    expect(pubsub.listenerCount()).toBe(baseline + 500);

    for (const stream of streams) stream.close();
    await until(() => qr.liveStreams().streams === 0);
    expect(qr.liveStreams()).toEqual({ streams: 0, timers: 0, subscriptions: 0 });
    expect(pubsub.listenerCount()).toBe(baseline);
  });

  it('releases them when streams end by themselves (complete, denied)', async () => {
    const relay = current();
    const pubsub = relay.store as unknown as LocalPubSub;
    const baseline = pubsub.listenerCount();
    const phone = await pair(relay);
    const approved = await Promise.all(Array.from({ length: 10 }, () => createSession(relay)));
    const denied = await Promise.all(Array.from({ length: 10 }, () => createSession(relay)));
    const streams = await Promise.all(
      [...approved, ...approved, ...denied, ...denied].map((session) => openSse(sessionUrl(relay, session.sessionId, '/events'))),
    );
    await Promise.all(streams.map((s) => s.next('CONNECT')));
    expect(qr.liveStreams().streams).toBe(40);
    for (const session of approved) await postJson(sessionUrl(relay, session.scanId, '/approve'), {}, bearer(phone.token));
    for (const session of denied) await postJson(sessionUrl(relay, session.scanId, '/deny'), {}, bearer(phone.token));
    await Promise.all(streams.map((s) => s.ended));
    await until(() => qr.liveStreams().streams === 0);
    expect(qr.liveStreams()).toEqual({ streams: 0, timers: 0, subscriptions: 0 });
    expect(pubsub.listenerCount()).toBe(baseline);
    // Each approved session was delivered once: one COMPLETE per session, never to both of its streams.
    const completes = streams.slice(0, 20).filter((s) => s.events.some((e) => e.event === 'COMPLETE'));
    expect(completes).toHaveLength(10);
  });

  it('leaves nothing behind for a stream refused with 404', async () => {
    const relay = current();
    const res = await fetch(sessionUrl(relay, 'AAAAAAAAAAAAAAAAAAAAAA', '/events'));
    expect(res.status).toBe(404);
    await res.text();
    expect(qr.liveStreams()).toEqual({ streams: 0, timers: 0, subscriptions: 0 });
  });
});
