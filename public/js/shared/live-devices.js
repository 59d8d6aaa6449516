import { byId } from './dom.js';
import { describeError } from './errors.js';
import { devicePanel } from './devices-panel.js';
import { request } from './socket-ack.js';

/**
 * The home's devices over a live socket (kiosk or dashboard: the events are the same):
 * `devices:list` on `refresh`, then `device:state|online|offline|removed`; commands by `device:command` ack.
 */
export function liveDevices(socket) {
  const error = byId('devices-error');
  const panel = devicePanel(byId('device-list'), byId('device-empty'), (deviceId, action, params) =>
    request(socket, 'device:command', params === undefined ? { deviceId, action } : { deviceId, action, params }),
  );
  socket.on('device:state', panel.upsert);
  socket.on('device:online', panel.upsert);
  socket.on('device:offline', (device) => panel.merge({ ...device, online: false }));
  socket.on('device:removed', ({ id }) => panel.remove(id));
  const refresh = async () => {
    try {
      const { devices } = await request(socket, 'devices:list');
      error.textContent = '';
      panel.setAll(devices);
    } catch (err) {
      error.textContent = `Could not load devices: ${describeError(err)}`;
    }
  };
  return { refresh, clear: panel.clear };
}
