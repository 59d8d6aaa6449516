import { byId } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { devicePanel } from '../shared/devices-panel.js';
import { request } from '../shared/socket-ack.js';

/** The home's devices over the live socket: `devices:list` on every connect, then events. */
export function dashboardDevices(socket) {
  const error = byId('devices-error');
  const panel = devicePanel(byId('device-list'), byId('device-empty'), (deviceId, action, params) =>
    request(socket, 'device:command', params === undefined ? { deviceId, action } : { deviceId, action, params }),
  );
  const refresh = async () => {
    try {
      const { devices } = await request(socket, 'devices:list');
      error.textContent = '';
      panel.setAll(devices);
    } catch (err) {
      error.textContent = `Could not load devices: ${describeError(err)}`;
    }
  };
  socket.on('connect', refresh);
  socket.on('device:state', panel.upsert);
  socket.on('device:online', panel.upsert);
  socket.on('device:offline', (device) => panel.merge({ ...device, online: false }));
  return { clear: panel.clear };
}
