import { describe, expect, it } from 'vitest';
import type { Ack, CommandPlan, DriverContext, DriverUpdate, MqttDriver } from '../src/bridges/mqtt/driver.ts';
import { homeAssistantDriver } from '../src/bridges/mqtt/drivers/homeassistant.ts';
import { shellyDriver } from '../src/bridges/mqtt/drivers/shelly.ts';
import { tasmotaDriver } from '../src/bridges/mqtt/drivers/tasmota.ts';
import { zigbee2mqttDriver } from '../src/bridges/mqtt/drivers/zigbee2mqtt.ts';
import { z2mExposes } from './helpers/mqtt/zigbee2mqtt.ts';

/** Feeds messages to a driver as the runner would, recording what it publishes and subscribes to. */
function harness(driver: MqttDriver) {
  const published: [string, string][] = [];
  const subscribed: string[] = [];
  const context: DriverContext = { publish: (t, p) => void published.push([t, p]), subscribe: (t) => void subscribed.push(t) };
  const devices = new Map<string, Extract<DriverUpdate, { kind: 'device' }>['device']>();
  const feed = (topic: string, payload: unknown): DriverUpdate[] => {
    const updates = driver.onMessage(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), context);
    for (const u of updates) if (u.kind === 'device') devices.set(u.device.name, u.device);
    return updates;
  };
  const plan = (name: string, action: string, params: Record<string, unknown> = {}): CommandPlan => {
    const result = driver.command(devices.get(name)!, action, params);
    if (!('publish' in result)) throw new Error(`no plan: ${JSON.stringify(result)}`);
    return result;
  };
  const refusal = (name: string, action: string, params: Record<string, unknown> = {}): Ack => driver.command(devices.get(name)!, action, params) as Ack;
  return { published, subscribed, devices, feed, plan, refusal };
}

describe('zigbee2mqtt driver', () => {
  const inventory = (entries: { friendly_name: string; exposes: unknown[] }[]) =>
    entries.map((e) => ({ friendly_name: e.friendly_name, type: 'Router', definition: { exposes: e.exposes } }));

  it('maps nested friendly names, both availability forms, and reads state once per device', () => {
    const z = harness(zigbee2mqttDriver({ z2mBase: 'z2m' }));
    z.feed('z2m/bridge/devices', inventory([{ friendly_name: 'kitchen/ceiling', exposes: z2mExposes.light }, { friendly_name: '+', exposes: z2mExposes.light }]));
    expect([...z.devices.keys()]).toEqual(['kitchen/ceiling']);
    expect(z.subscribed).toEqual(['z2m/kitchen/ceiling', 'z2m/kitchen/ceiling/availability']);
    expect(z.published).toEqual([['z2m/kitchen/ceiling/get', '{"state":"","brightness":""}']]);
    z.feed('z2m/bridge/devices', inventory([{ friendly_name: 'kitchen/ceiling', exposes: z2mExposes.light }]));
    expect(z.published).toHaveLength(1);
    expect(z.feed('z2m/kitchen/ceiling/availability', 'offline')).toEqual([{ kind: 'availability', name: 'kitchen/ceiling', online: false }]);
    expect(z.feed('z2m/kitchen/ceiling/availability', { state: 'online' })).toEqual([{ kind: 'availability', name: 'kitchen/ceiling', online: true }]);
    expect(z.feed('z2m/kitchen/ceiling', { state: 'ON', brightness: 254, color_mode: 'xy', color: { x: 1 } })).toEqual([
      { kind: 'state', name: 'kitchen/ceiling', state: { on: true, brightness: 100, color_mode: 'xy' } },
    ]);
    // A device that left the inventory is gone.
    expect(z.feed('z2m/bridge/devices', [])).toEqual([{ kind: 'gone', name: 'kitchen/ceiling' }]);
  });

  it('makes each endpoint of a double wall switch its own device', () => {
    const z = harness(zigbee2mqttDriver({ z2mBase: 'zigbee2mqtt' }));
    const gang = (ep: string) => ({
      type: 'switch',
      endpoint: ep,
      features: [{ type: 'binary', name: 'state', property: `state_${ep}`, endpoint: ep, value_on: 'ON', value_off: 'OFF', value_toggle: 'TOGGLE' }],
    });
    z.feed('zigbee2mqtt/bridge/devices', inventory([{ friendly_name: 'hall', exposes: [gang('l1'), gang('l2'), { type: 'numeric', name: 'linkquality', property: 'linkquality' }] }]));
    expect([...z.devices.keys()]).toEqual(['hall', 'hall:l2']);
    expect(z.devices.get('hall:l2')).toMatchObject({ label: 'hall l2', type: 'switch', capabilities: ['switch_l1', 'switch_l2', 'linkquality'] });
    expect(z.published).toEqual([['zigbee2mqtt/hall/get', '{"state_l1":"","state_l2":""}']]);
    expect(z.feed('zigbee2mqtt/hall', { state_l1: 'ON', state_l2: 'OFF', linkquality: 80 })).toEqual([
      { kind: 'state', name: 'hall', state: { on: true, linkquality: 80 } },
      { kind: 'state', name: 'hall:l2', state: { on: false, linkquality: 80 } },
    ]);
    expect(z.feed('zigbee2mqtt/hall/availability', 'offline').map((u) => u.kind === 'availability' && u.name)).toEqual(['hall', 'hall:l2']);
    const on = z.plan('hall:l2', 'turn_on');
    expect(on.publish).toEqual([{ topic: 'zigbee2mqtt/hall/set', payload: '{"state_l2":"ON"}' }]);
    expect(on.ack('zigbee2mqtt/hall', '{"state_l1":"ON","state_l2":"ON"}')).toEqual({ ok: true });
    expect(z.feed('zigbee2mqtt/bridge/devices', [])).toEqual([
      { kind: 'gone', name: 'hall' },
      { kind: 'gone', name: 'hall:l2' },
    ]);
  });

  it('acknowledges a set only by an echo showing it, and a bridge/logging error naming the device', () => {
    const z = harness(zigbee2mqttDriver({ z2mBase: 'zigbee2mqtt' }));
    z.feed('zigbee2mqtt/bridge/devices', inventory([{ friendly_name: 'door', exposes: z2mExposes.lock }]));
    const lock = z.plan('door', 'lock');
    expect(lock.publish).toEqual([{ topic: 'zigbee2mqtt/door/set', payload: '{"state":"LOCK"}' }]);
    expect(lock.ack('zigbee2mqtt/door', '{"state":"UNLOCK"}')).toBeUndefined();
    expect(lock.ack('zigbee2mqtt/door', '{"state":"LOCK"}')).toEqual({ ok: true });
    const unlock = z.plan('door', 'unlock');
    expect(unlock.ack('zigbee2mqtt/bridge/logging', JSON.stringify({ level: 'error', message: "Publish 'set' 'state' to 'other' failed" }))).toBeUndefined();
    expect(unlock.ack('zigbee2mqtt/bridge/logging', JSON.stringify({ level: 'error', message: "Publish 'set' 'state' to 'door' failed: 'Timeout'" }))).toMatchObject({ ok: false, error: { code: 'zigbee_error' } });
    expect(z.refusal('door', 'set_brightness', { brightness: 5 })).toMatchObject({ ok: false });
  });
});

describe('tasmota driver', () => {
  it('honours custom LWT words, POWER1 and refusals', () => {
    const t = harness(tasmotaDriver());
    t.feed('tasmota/discovery/AABBCC/config', { t: 'desk', dn: 'Desk', onln: 'up', ofln: 'down', rl: [1] });
    expect(t.devices.get('desk')).toMatchObject({ type: 'plug', online: false });
    expect(t.feed('tele/desk/LWT', 'up')).toEqual([{ kind: 'availability', name: 'desk', online: true }]);
    expect(t.published).toEqual([['cmnd/desk/POWER', '']]);
    expect(t.feed('tele/desk/LWT', 'Online')).toEqual([]);
    expect(t.feed('stat/desk/RESULT', { POWER1: 'ON' })).toEqual([{ kind: 'state', name: 'desk', state: { on: true } }]);
    const off = t.plan('desk', 'turn_off');
    expect(off.ack('stat/desk/RESULT', '{"POWER":"ON"}')).toBeUndefined();
    expect(off.ack('stat/desk/RESULT', '{"POWER":"OFF"}')).toEqual({ ok: true });
    expect(t.plan('desk', 'toggle').ack('stat/desk/RESULT', '{"Command":"Error"}')).toMatchObject({ ok: false, error: { code: 'tasmota_error' } });
    // An LWT-only device is introduced by Online, never by Offline.
    expect(t.feed('tele/ghost/LWT', 'Offline')).toEqual([]);
    expect(t.feed('tasmota/discovery/AABBCC/config', '')).toEqual([{ kind: 'gone', name: 'desk' }]);
  });
});

describe('tasmota driver with several relays', () => {
  it('makes each relay a device, commanded with POWER<n>', () => {
    const t = harness(tasmotaDriver());
    t.feed('tasmota/discovery/AABBDD/config', { t: 'strip', dn: 'Strip', rl: [1, 1, 1, 0] });
    expect([...t.devices.keys()]).toEqual(['strip', 'strip:2', 'strip:3']);
    expect(t.feed('tele/strip/LWT', 'Online')).toHaveLength(3);
    expect(t.published.map(([topic]) => topic)).toEqual(['cmnd/strip/POWER', 'cmnd/strip/POWER2', 'cmnd/strip/POWER3']);
    expect(t.feed('stat/strip/RESULT', { POWER2: 'ON' })).toEqual([{ kind: 'state', name: 'strip:2', state: { on: true } }]);
    const on = t.plan('strip:3', 'turn_on');
    expect(on.publish).toEqual([{ topic: 'cmnd/strip/POWER3', payload: 'ON' }]);
    expect(on.ack('stat/strip/RESULT', '{"POWER1":"ON"}')).toBeUndefined();
    expect(on.ack('stat/strip/RESULT', '{"POWER3":"ON"}')).toEqual({ ok: true });
    // Rediscovered with fewer relays: the extra one is gone.
    expect(t.feed('tasmota/discovery/AABBDD/config', { t: 'strip', dn: 'Strip', rl: [1, 1] })[0]).toEqual({ kind: 'gone', name: 'strip:3' });
  });
});

describe('shelly driver', () => {
  it('learns by GetStatus, ignores replies it did not ask for, maps toggle and errors', () => {
    const s = harness(shellyDriver({ replyPrefix: 'relay-1' }));
    expect(s.feed('shelly1/online', 'true')).toEqual([]);
    const [status, info] = s.published.map(([, p]) => JSON.parse(p));
    expect(status).toMatchObject({ src: 'relay-1', method: 'Shelly.GetStatus' });
    expect(info).toMatchObject({ method: 'Shelly.GetDeviceInfo' });
    expect(s.feed('relay-1/rpc', { id: 999, result: {} })).toEqual([]);
    s.feed('relay-1/rpc', { id: status.id, src: 'shelly1', result: { 'switch:0': { output: true }, 'switch:1': { output: false }, sys: {} } });
    expect(s.devices.get('shelly1')).toMatchObject({ type: 'switch', capabilities: ['switch:0', 'switch:1'] });
    s.feed('relay-1/rpc', { id: info.id, result: { name: 'Pump' } });
    expect(s.devices.get('shelly1')!.label).toBe('Pump');
    // Each switch is a device; the first keeps the Shelly's id.
    expect(s.devices.get('shelly1:switch:1')).toMatchObject({ label: 'Pump (switch:1)', type: 'switch' });
    expect(s.feed('shelly1/events/rpc', { method: 'NotifyStatus', params: { 'switch:1': { output: true } } })).toEqual([
      { kind: 'state', name: 'shelly1:switch:1', state: { on: true } },
    ]);
    expect(s.feed('shelly1/online', 'false')).toEqual([
      { kind: 'availability', name: 'shelly1', online: false },
      { kind: 'availability', name: 'shelly1:switch:1', online: false },
    ]);
    const second = JSON.parse(s.plan('shelly1:switch:1', 'turn_off').publish[0]!.payload);
    expect(second).toMatchObject({ method: 'Switch.Set', params: { id: 1, on: false } });
    const toggle = s.plan('shelly1', 'toggle');
    const request = JSON.parse(toggle.publish[0]!.payload);
    expect(request).toMatchObject({ src: 'relay-1', method: 'Switch.Toggle', params: { id: 0 } });
    expect(toggle.ack('relay-1/rpc', JSON.stringify({ id: request.id + 1, result: { was_on: true } }))).toBeUndefined();
    expect(toggle.ack('relay-1/rpc', JSON.stringify({ id: request.id, result: { was_on: true } }))).toEqual({ ok: true, state: { on: false } });
    const on = s.plan('shelly1', 'turn_on');
    const onId = JSON.parse(on.publish[0]!.payload).id;
    expect(on.ack('relay-1/rpc', JSON.stringify({ id: onId, error: { code: -114, message: 'Locked by schedule' } }))).toEqual({
      ok: false,
      error: { code: 'rpc_-114', message: 'Locked by schedule' },
    });
  });
});

describe('homeassistant driver', () => {
  it('expands abbreviations and ~, follows availability lists, scales brightness', () => {
    const h = harness(homeAssistantDriver());
    h.feed('homeassistant/light/hall/config', {
      '~': 'hall/light',
      name: 'Hall',
      uniq_id: 'hall light',
      cmd_t: '~/set',
      stat_t: '~/state',
      bri_cmd_t: '~/bri/set',
      bri_stat_t: '~/bri',
      bri_scl: 100,
      pl_on: 'on',
      pl_off: 'off',
      avty: [{ t: 'hall/status', pl_avail: 'alive', pl_not_avail: 'dead' }],
      json_attr_t: 'hall/attrs',
    });
    expect(h.devices.get('hall_light')).toMatchObject({ label: 'Hall', actions: ['turn_on', 'turn_off', 'toggle', 'set_brightness'], online: false });
    expect(h.subscribed).toEqual(['hall/light/state', 'hall/light/bri', 'hall/status']);
    expect(h.feed('hall/status', 'alive')).toEqual([{ kind: 'availability', name: 'hall_light', online: true }]);
    expect(h.feed('hall/light/state', 'on')).toEqual([{ kind: 'state', name: 'hall_light', state: { on: true } }]);
    const dim = h.plan('hall_light', 'set_brightness', { brightness: 30 });
    expect(dim.publish).toEqual([{ topic: 'hall/light/bri/set', payload: '30' }]);
    expect(dim.ack('hall/light/bri', '30')).toEqual({ ok: true });
    // Toggle sends the opposite of the last known state with the entity's own payloads.
    expect(h.plan('hall_light', 'toggle').publish).toEqual([{ topic: 'hall/light/set', payload: 'off' }]);
    expect(h.feed('homeassistant/light/hall/config', '')).toEqual([{ kind: 'gone', name: 'hall_light' }]);
  });

  it('understands {{ value_json.key }} templates and nothing fancier', () => {
    const h = harness(homeAssistantDriver());
    h.feed('homeassistant/switch/tasmota_1/config', { name: 'Socket', uniq_id: 's1', stat_t: 'tele/s1/STATE', cmd_t: 'cmnd/s1/POWER', val_tpl: '{{ value_json.POWER }}' });
    h.feed('homeassistant/sensor/s1_temp/config', { name: 'T', uniq_id: 't1', stat_t: 'tele/s1/SENSOR', val_tpl: "{{ value_json['DS18B20'].Temperature }}" });
    h.feed('homeassistant/sensor/odd/config', { name: 'Odd', uniq_id: 'o1', stat_t: 'odd/state', val_tpl: '{{ value_json.x | float * 2 }}' });
    expect(h.feed('tele/s1/STATE', { POWER: 'ON', Uptime: 5 })).toEqual([{ kind: 'state', name: 's1', state: { on: true } }]);
    expect(h.feed('tele/s1/SENSOR', { DS18B20: { Temperature: 21.5 } })).toEqual([{ kind: 'state', name: 't1', state: { value: 21.5 } }]);
    expect(h.feed('odd/state', { x: 1 })).toEqual([]);
  });
});
