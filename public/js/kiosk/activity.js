// @ts-check
import { activityText } from '../shared/activity-text.js';
import { byId, fill, h } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { request } from '../shared/socket-ack.js';

/** Entries the screen keeps; older ones scroll away (the full log is on the relay). */
const SHOWN = 30;

/**
 * The live "Activity" list: the newest audit entries on connect (`audit:list { last }`), then each
 * `audit:entry` as it happens, newest on top. Device ids become names from `devices:list` and events.
 */
export function activityPanel(socket) {
  const list = byId('activity-list');
  const empty = byId('activity-empty');
  const error = byId('activity-error');
  const names = new Map();
  let entries = [];

  const remember = (device) => device?.id && device.name && names.set(device.id, device.name);
  const nameOf = (id) => names.get(id) ?? id;
  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  const render = () => {
    empty.hidden = entries.length > 0;
    fill(
      list,
      [...entries].reverse().map((entry) =>
        h('li', { class: `activity ${entry.outcome === 'ok' || entry.outcome === 'replayed' ? '' : 'failed'}`, dataset: { seq: String(entry.seq) } },
          `${activityText(entry, nameOf)} · `,
          h('time', { datetime: entry.at }, time(entry.at)),
        ),
      ),
    );
  };

  socket.on('device:online', remember);
  socket.on('device:state', remember);
  socket.on('audit:entry', (entry) => {
    if (entries.some((e) => e.seq === entry.seq)) return;
    entries = [...entries, entry].slice(-SHOWN);
    render();
  });

  const refresh = async () => {
    try {
      const [{ devices }, page] = await Promise.all([request(socket, 'devices:list'), request(socket, 'audit:list', { last: SHOWN })]);
      for (const device of devices) remember(device);
      entries = page.entries;
      error.textContent = '';
      render();
    } catch (err) {
      error.textContent = `Could not load the activity: ${describeError(err)}`;
    }
  };
  return { refresh };
}
