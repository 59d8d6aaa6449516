import { expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { DeviceRegistry } from '../src/devices/registry.ts';
import { MemoryStore } from '../src/store/memory.ts';

const descriptor = (id: string) => ({ id, name: id, type: 'light', actions: ['turn_on'], state: {} });

it('takes many connections offline at once, each only while it is still the device’s current one', async () => {
  const clock = new FakeClock(Date.now());
  const registry = new DeviceRegistry({ store: new MemoryStore(clock), clock, limits: { maxPerHome: 10 } });
  await registry.connect('home-1', descriptor('stays'), 'A/1');
  await registry.connect('home-1', descriptor('moved'), 'A/2');
  await registry.connect('home-1', descriptor('moved'), 'B/7'); // reconnected to another instance
  await registry.connect('home-1', descriptor('replaced'), 'A/3');
  await registry.connect('home-1', descriptor('replaced'), 'A/4'); // replaced on this one: both sockets still held

  const changed = await registry.markOfflineMany([
    { serial: 'home-1', deviceId: 'stays', connectionId: 'A/1' },
    { serial: 'home-1', deviceId: 'moved', connectionId: 'A/2' },
    { serial: 'home-1', deviceId: 'replaced', connectionId: 'A/4' },
    { serial: 'home-1', deviceId: 'replaced', connectionId: 'A/3' },
    { serial: 'home-1', deviceId: 'unknown', connectionId: 'A/5' },
  ]);

  expect(changed.map((c) => [c.connection.deviceId, c.connection.connectionId])).toEqual([
    ['stays', 'A/1'],
    ['replaced', 'A/4'],
  ]);
  expect(changed.every((c) => !c.record.online && c.record.connectionId === null)).toBe(true);
  expect(await registry.get('home-1', 'moved')).toMatchObject({ online: true, connectionId: 'B/7' });
  expect(await registry.get('home-1', 'replaced')).toMatchObject({ online: false, connectionId: null });
});
