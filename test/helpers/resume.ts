import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { expect } from 'vitest';
import { connectDevice, eventually, type FakeDevice, sleep } from './devices.ts';
import { HUB_KEY, type TestRelay } from './relay.ts';

export interface Position {
  epoch: string;
  offset: number;
}

export interface Applied {
  offset: number;
  event: string;
  payload: any;
  /** How it arrived: replayed in `resume`, or live. */
  via: 'replay' | 'live';
}

/**
 * A client that follows offsets the way docs/api-extensions.md tells clients to: live events that
 * arrive before `resume`/`resync` wait; offsets already applied are dropped. It records what it
 * applied, so tests can check order, gaps and duplicates.
 */
export interface ResumingClient {
  socket: ClientSocket;
  applied: Applied[];
  /** Events that came without a position (never a logged home event). */
  unpositioned: string[];
  /** Every `resync` received. */
  resyncs: any[];
  /** The last applied position (what to pass as `since` next time). */
  position(): Position | null;
  /** Resolves once `resume` or `resync` has been handled. */
  ready: Promise<'resume' | 'resync'>;
}

export function connectResuming(url: string, auth: Record<string, unknown>, events: string[], since: Position | true = true): ResumingClient {
  const socket = connect(url, { auth: { ...auth, since }, transports: ['websocket'], reconnection: false, forceNew: true });
  const applied: Applied[] = [];
  const resyncs: any[] = [];
  const unpositioned: string[] = [];
  let position: Position | null = since === true ? null : { ...since };
  let waiting: Array<{ event: string; payload: unknown; meta: Position }> | null = [];
  const apply = (event: string, payload: unknown, meta: Position, via: Applied['via']) => {
    if (position && meta.epoch === position.epoch && meta.offset <= position.offset) return;
    applied.push({ offset: meta.offset, event, payload, via });
    position = { epoch: meta.epoch, offset: meta.offset };
  };
  const flush = () => {
    const held = waiting ?? [];
    waiting = null;
    for (const { event, payload, meta } of held) apply(event, payload, meta, 'live');
  };
  for (const event of events) {
    socket.on(event, (payload: unknown, meta: Position | null) => {
      // Direct emits to one socket (pairing:locked on connect) are not home events and carry none.
      if (!meta) return void unpositioned.push(event);
      if (waiting) waiting.push({ event, payload, meta });
      else apply(event, payload, meta, 'live');
    });
  }
  const ready = new Promise<'resume' | 'resync'>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('resume', (body: Position & { events: Array<{ offset: number; event: string; payload: unknown }> }) => {
      for (const entry of body.events) apply(entry.event, entry.payload, { epoch: body.epoch, offset: entry.offset }, 'replay');
      position = { epoch: body.epoch, offset: Math.max(body.offset, position?.epoch === body.epoch ? position.offset : 0) };
      flush();
      resolve('resume');
    });
    socket.once('resync', (body: Position & Record<string, unknown>) => {
      resyncs.push(body);
      position = { epoch: body.epoch, offset: body.offset };
      flush();
      resolve('resync');
    });
  });
  return { socket, applied, resyncs, unpositioned, position: () => position, ready };
}

export const homeEvents = ['device:state', 'device:online', 'device:offline', 'device:removed'];
export const kioskEvents = [...homeEvents, 'pairing:claimed', 'pairing:expired', 'pairing:burned', 'pairing:locked', 'pairing:unlocked', 'grant:created', 'grant:revoked', 'audit:entry'];

export const resumingDashboard = (url: string, token: string, since?: Position) => connectResuming(url, { token }, homeEvents, since ?? true);
export const resumingKiosk = (url: string, since?: Position, serial = 'home-1', hubKey = HUB_KEY) =>
  connectResuming(`${url}/kiosk`, { serial, hubKey }, kioskEvents, since ?? true);

/** Offsets strictly increasing: in order, no duplicates. */
export const increasing = (applied: Applied[]) => applied.every((a, i) => i === 0 || a.offset > applied[i - 1]!.offset);

export const fastStates = { DEVICE_STATE_RATE: '1000', DEVICE_STATE_BURST: '1000' };

/** `count` state changes, `gapMs` apart, each acknowledged by the relay. */
export async function changeStates(device: FakeDevice, from: number, count: number, gapMs = 5): Promise<void> {
  for (let level = from; level < from + count; level++) {
    await device.socket.emitWithAck('state', { state: { on: true, level } });
    await sleep(gapMs);
  }
}

export const levelsOf = (applied: Applied[], id = 'lamp-1') => applied.filter((a) => a.event === 'device:state' && a.payload.id === id).map((a) => a.payload.state.level);

/**
 * What a client that was cut at `before`'s end and resumed as `after` applied, against a socket that
 * stayed connected throughout: in order, no duplicates, nothing missing but device states that a
 * later replayed state of the same device supersedes, and the same last state.
 */
export function expectNothingMissed(reference: Applied[], before: Applied[], after: Applied[]): void {
  const got = [...before, ...after];
  expect(increasing(got), JSON.stringify(got.map((a) => a.offset))).toBe(true);
  const known = new Set(reference.map((r) => r.offset));
  for (const a of got) expect(known.has(a.offset)).toBe(true);
  const offsets = new Set(got.map((a) => a.offset));
  for (const missed of reference.filter((r) => !offsets.has(r.offset))) {
    expect(missed.event, `offset ${missed.offset} (${missed.event}) was never applied`).toBe('device:state');
    expect(after.some((a) => a.via === 'replay' && a.event === 'device:state' && a.payload.id === missed.payload.id && a.offset > missed.offset)).toBe(true);
  }
  expect(levelsOf(got).at(-1)).toBe(levelsOf(reference).at(-1));
}

export async function settled(client: ResumingClient, count: number): Promise<void> {
  await eventually(() => client.applied.length >= count, 10_000);
}


/**
 * The drop scenario: a dashboard on `cutOn` is cut while `lamp` streams 60 states, a fan comes
 * and goes on `fanOn` while it is away, and it resumes on `resumeOn` while the states still flow.
 * A dashboard on `referenceOn` stays connected throughout. Checks that nothing was missed.
 */
export async function cutMidTraffic(places: { cutOn: TestRelay; resumeOn: TestRelay; referenceOn: TestRelay; fanOn: TestRelay }, token: string, lamp: FakeDevice) {
  const reference = resumingDashboard(places.referenceOn.url, token);
  const cut = resumingDashboard(places.cutOn.url, token);
  expect(await reference.ready).toBe('resume');
  expect(await cut.ready).toBe('resume');

  const traffic = changeStates(lamp, 0, 60);
  await settled(cut, 15);
  cut.socket.disconnect();
  const since = cut.position() as Position;
  const fan = await connectDevice(places.fanOn, { deviceId: 'fan-1', name: 'Fan', type: 'fan' });
  await sleep(100);
  const resumed = resumingDashboard(places.resumeOn.url, token, since);
  expect(await resumed.ready).toBe('resume');
  await traffic;
  fan.socket.disconnect();
  await settled(reference, 60 + 2);
  await eventually(() => resumed.applied.at(-1)?.offset === reference.applied.at(-1)?.offset, 10_000);

  expectNothingMissed(reference.applied, cut.applied, resumed.applied);
  expect(resumed.applied.some((a) => a.via === 'replay')).toBe(true);
  expect(resumed.applied.filter((a) => a.payload.id === 'fan-1').map((a) => a.event)).toEqual(['device:online', 'device:offline']);
  // Replayed: one state for the lamp, not every one it missed.
  expect(levelsOf(resumed.applied.filter((a) => a.via === 'replay'))).toHaveLength(1);
  expect(resumed.unpositioned).toEqual([]);
}
