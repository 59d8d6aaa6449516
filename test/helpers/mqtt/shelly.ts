import type { MqttClient } from 'mqtt';
import { connectClient } from '../mosquitto.ts';

export interface FakeShelly {
  client: MqttClient;
  id: string;
  state: { output: boolean; brightness: number };
  /** Every RPC request received. */
  calls: { method: string; params?: Record<string, unknown>; src: string }[];
  /** The next call is answered with a JSON-RPC error (e.g. -103 an overheated relay refusing). */
  failNext(code: number, message: string): void;
  /** Someone pressed the button: NotifyStatus on `<id>/events/rpc`. */
  press(): Promise<void>;
  setOnline(online: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Shelly Gen2 device as its RPC docs describe: retained `<id>/online`, JSON-RPC on `<id>/rpc`
 * answered on `<src>/rpc` with `result` or `error`, NotifyStatus on `<id>/events/rpc`.
 */
export async function startFakeShelly(url: string, options: { id: string; name?: string; kind?: 'switch' | 'light' }): Promise<FakeShelly> {
  const { id } = options;
  const kind = options.kind ?? 'switch';
  const client = await connectClient(url, { will: { topic: `${id}/online`, payload: Buffer.from('false'), retain: true, qos: 1 } });
  const state = { output: false, brightness: 40 };
  const calls: FakeShelly['calls'] = [];
  let failure: { code: number; message: string } | undefined;
  const component = () => (kind === 'light' ? { id: 0, source: 'init', output: state.output, brightness: state.brightness } : { id: 0, source: 'init', output: state.output, apower: state.output ? 12.5 : 0 });
  client.on('message', (_topic, payload) => {
    const request = JSON.parse(payload.toString()) as { id: number; src: string; method: string; params?: Record<string, unknown> };
    calls.push({ method: request.method, src: request.src, ...(request.params ? { params: request.params } : {}) });
    const reply = (body: Record<string, unknown>) => void client.publishAsync(`${request.src}/rpc`, JSON.stringify({ id: request.id, src: id, dst: request.src, ...body }));
    if (failure) {
      const error = failure;
      failure = undefined;
      return reply({ error });
    }
    const was_on = state.output;
    switch (request.method) {
      case 'Shelly.GetStatus':
        return reply({ result: { [`${kind}:0`]: component(), sys: { mac: 'A8032AB12345' }, wifi: { sta_ip: '192.168.1.60' }, 'input:0': { id: 0, state: false } } });
      case 'Shelly.GetDeviceInfo':
        return reply({ result: { name: options.name ?? null, id, mac: 'A8032AB12345', gen: 2, app: kind === 'light' ? 'PlusDimmer' : 'Plus1PM' } });
      case 'Switch.Set':
      case 'Light.Set':
        if (typeof request.params?.on === 'boolean') state.output = request.params.on;
        if (typeof request.params?.brightness === 'number') state.brightness = request.params.brightness;
        return reply({ result: { was_on } });
      case 'Switch.Toggle':
      case 'Light.Toggle':
        state.output = !state.output;
        return reply({ result: { was_on } });
      default:
        return reply({ error: { code: 404, message: `No handler for ${request.method}` } });
    }
  });
  await client.subscribeAsync(`${id}/rpc`);
  await client.publishAsync(`${id}/online`, 'true', { retain: true });
  return {
    client,
    id,
    state,
    calls,
    failNext: (code, message) => {
      failure = { code, message };
    },
    async press() {
      state.output = !state.output;
      await client.publishAsync(`${id}/events/rpc`, JSON.stringify({ src: id, dst: `${id}/events`, method: 'NotifyStatus', params: { ts: 1, [`${kind}:0`]: { id: 0, output: state.output } } }));
    },
    setOnline: (online) => client.publishAsync(`${id}/online`, String(online), { retain: true }).then(() => undefined),
    close: () => client.endAsync(true),
  };
}
