// @ts-check
import { byId } from './dom.js';
import { describeError } from './errors.js';
import { devicePanel } from './devices-panel.js';
import { request } from './socket-ack.js';

/**
 * The home's devices over a live socket (kiosk or dashboard: the events are the same):
 * `devices:list` on `refresh`, then `device:state|online|offline|removed`; commands by `device:command` ack.
 * `view` reshapes each device before it is shown (a guest's page keeps only its allowed actions).
 * With `log` (shared/event-log.js) events come through it: missed ones are replayed after a drop,
 * and a `resync` replaces the list; the page then loads the list only on its first connect.
 */
export function liveDevices(socket, view = (device) => device, log = null) {
  const error = byId('devices-error');
  const panel = devicePanel(byId('device-list'), byId('device-empty'), async (deviceId, action, params) => {
    const result = await request(socket, 'device:command', params === undefined ? { deviceId, action } : { deviceId, action, params });
    return result?.device ? { ...result, device: view(result.device) } : result;
  });
  const events = log ?? socket;
  events.on('device:state', (device) => panel.upsert(view(device)));
  events.on('device:online', (device) => panel.upsert(view(device)));
  events.on('device:offline', (device) => panel.merge(view({ ...device, online: false })));
  events.on('device:removed', ({ id }) => panel.remove(id));
  log?.onResync(({ devices }) => devices && panel.setAll(devices.map(view)));
  const refresh = async () => {
    try {
      const { devices } = await request(socket, 'devices:list');
      error.textContent = '';
      panel.setAll(devices.map(view));
    } catch (err) {
      error.textContent = `Could not load devices: ${describeError(err)}`;
    }
  };
  return { refresh, clear: panel.clear };
}
