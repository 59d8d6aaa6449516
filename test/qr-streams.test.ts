import { describe, expect, it } from 'vitest';
import { qrFeature, type QrFeature } from '../src/qr/feature.ts';
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
  const current = useRelay({ features: [(context) => (qr = qrFeature(context))], env: { QR_PING_INTERVAL: '1' } });

  it('releases every timer and subscription when 500 clients drop their streams', async () => {
    const relay = current();
    const pubsub = relay.store as unknown as LocalPubSub;
    const baseline = pubsub.listenerCount();
    const sessions = await Promise.all(Array.from({ length: 10 }, () => createSession(relay)));
    const streams: SseClient[] = [];
    for (let batch = 0; batch < 5; batch++) {
      streams.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, i) => openSse(sessionUrl(relay, sessions[(batch * 100 + i) % 10]!.sessionId, '/events'))),
        )),
      );
    }
    await Promise.all(streams.map((s) => s.next('CONNECT', 10_000)));
    expect(qr.liveStreams()).toEqual({ streams: 500, timers: 1000, subscriptions: 500 });
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
    const approved = await createSession(relay);
    const denied = await createSession(relay);
    const streams = await Promise.all([
      ...Array.from({ length: 20 }, () => openSse(sessionUrl(relay, approved.sessionId, '/events'))),
      ...Array.from({ length: 20 }, () => openSse(sessionUrl(relay, denied.sessionId, '/events'))),
    ]);
    await Promise.all(streams.map((s) => s.next('CONNECT')));
    expect(qr.liveStreams().streams).toBe(40);
    await postJson(sessionUrl(relay, approved.sessionId, '/approve'), {}, bearer(phone.token));
    await postJson(sessionUrl(relay, denied.sessionId, '/deny'), {}, bearer(phone.token));
    await Promise.all(streams.map((s) => s.ended));
    await until(() => qr.liveStreams().streams === 0);
    expect(qr.liveStreams()).toEqual({ streams: 0, timers: 0, subscriptions: 0 });
    expect(pubsub.listenerCount()).toBe(baseline);
    // Every watcher of the approved session got the same tokens.
    const tokens = new Set(streams.slice(0, 20).map((s) => s.events.find((e) => e.event === 'COMPLETE')?.data.token));
    expect(tokens.size).toBe(1);
  });

  it('leaves nothing behind for a stream refused with 404', async () => {
    const relay = current();
    const res = await fetch(sessionUrl(relay, 'AAAAAAAAAAAAAAAAAAAAAA', '/events'));
    expect(res.status).toBe(404);
    await res.text();
    expect(qr.liveStreams()).toEqual({ streams: 0, timers: 0, subscriptions: 0 });
  });
});
